use crate::named::named_enum;

named_enum!(
    /// How a click reached Afflux: a `/go/{slug}` tracking link, or the tracking script on the
    /// brand's own page (`?via=…`).
    ClickSource { Link, Script }
);
