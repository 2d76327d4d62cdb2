/*! Afflux tracking script (AGPL-3.0-only). No dependencies.
 * <script src="https://AFFLUX/t.js" async data-campaign="optional-campaign-slug"
 *         data-params="optional,custom,params" data-domain="optional.cookie.domain"></script>
 * Reads a referral from the page URL, records the click with Afflux, keeps the referral in a
 * first-party cookie (afx_ref) and localStorage, and exposes window.Afflux. */
(function () {
  "use strict";
  var w = window, d = document;
  if (w.Afflux && w.Afflux.loaded) return;

  var NAME = "afx_ref";
  // Link parameters of the platforms brands migrate from (Rewardful, Tapfiliate, FirstPromoter,
  // Refersion, Tolt/LeadDyno, Post Affiliate Pro, PartnerStack); custom ones are read first.
  var PARAMS = ["via", "ref", "fpr", "rfsn", "aff", "a_aid", "ps_partner_key"];
  var SLUG = /^[A-Za-z0-9-]{3,64}$/;
  var CLICK = /^[0-9a-fA-F-]{36}$/;

  var tag = d.currentScript || (function () {
    var all = d.querySelectorAll('script[src*="/t.js"]');
    return all[all.length - 1];
  })();
  var attr = function (n) { return (tag && tag.getAttribute(n)) || ""; };
  var base = tag && tag.src ? new URL(tag.src, location.href).origin : location.origin;
  var custom = attr("data-params").split(",").map(function (p) { return p.trim(); }).filter(Boolean);
  var params = custom.concat(PARAMS);
  var campaignSlug = attr("data-campaign") || undefined;
  var cookieDomain = attr("data-domain");

  // ---- stored referral ----------------------------------------------------------------------
  function readCookie() {
    var m = d.cookie.match(/(?:^|;\s*)afx_ref=([^;]*)/);
    if (!m) return null;
    var v = decodeURIComponent(m[1]), dot = v.indexOf(".");
    var slug = dot < 0 ? v : v.slice(0, dot), click = dot < 0 ? "" : v.slice(dot + 1);
    return SLUG.test(slug) ? { slug: slug, clickId: CLICK.test(click) ? click : null } : null;
  }

  function readStorage() {
    try {
      var s = JSON.parse(w.localStorage.getItem(NAME) || "null");
      return s && s.slug && s.expires > Date.now() ? s : null;
    } catch (e) {
      return null;
    }
  }

  function writeCookie(ref, seconds) {
    var c = NAME + "=" + encodeURIComponent(ref.slug + "." + (ref.clickId || "")) +
      "; Max-Age=" + Math.max(0, Math.floor(seconds)) + "; Path=/; SameSite=Lax";
    if (cookieDomain) c += "; Domain=" + cookieDomain;
    if (location.protocol === "https:") c += "; Secure";
    d.cookie = c;
  }

  function save(ref) {
    writeCookie(ref, (ref.expires - Date.now()) / 1000);
    try { w.localStorage.setItem(NAME, JSON.stringify(ref)); } catch (e) { /* storage disabled */ }
  }

  // The cookie is the truth; localStorage adds names and restores a cookie the browser dropped.
  function load() {
    var cookie = readCookie(), stored = readStorage();
    if (cookie) {
      return stored && stored.slug === cookie.slug && stored.clickId == cookie.clickId
        ? stored : { slug: cookie.slug, clickId: cookie.clickId };
    }
    if (stored) writeCookie(stored, (stored.expires - Date.now()) / 1000);
    return stored;
  }

  // ---- the page URL -------------------------------------------------------------------------
  function fromUrl() {
    var q = new URLSearchParams(location.search);
    for (var i = 0; i < params.length; i++) {
      var v = (q.get(params[i]) || "").trim();
      if (SLUG.test(v)) {
        var click = q.get("afx_click") || "";
        return { slug: v, clickId: CLICK.test(click) ? click : undefined };
      }
    }
    return null;
  }

  function post(path, body) {
    return fetch(base + path, {
      method: "POST",
      mode: "cors",
      credentials: "omit",
      keepalive: true,
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body)
    }).then(function (r) {
      if (!r.ok) throw new Error("Afflux: " + path + " answered " + r.status);
      return r.status === 204 ? null : r.json();
    });
  }

  // ---- window.Afflux ------------------------------------------------------------------------
  var queue = w.Afflux && w.Afflux.q; // calls made to a stub before this script loaded
  var waiting = [], settled = false;
  var api = {
    loaded: true,
    referral: null,
    clickId: null,
    affiliate: null,
    campaign: null,
    /** Calls back with window.Afflux once the referral (if any) is known. */
    ready: function (cb) {
      if (typeof cb !== "function") return;
      if (settled) setTimeout(function () { cb(api); }, 0); else waiting.push(cb);
    },
    /** Reports a lead (sign-up) for the current referral; resolves with the answer or null. */
    convert: function (lead) {
      lead = lead || {};
      return new Promise(function (resolve) {
        api.ready(function () {
          if (!api.referral || !lead.email) return resolve(null);
          post("/api/v1/track/lead", {
            slug: api.referral,
            clickId: api.clickId || undefined,
            email: String(lead.email),
            name: lead.name ? String(lead.name) : undefined
          }).then(resolve, function () { resolve(null); });
        });
      });
    }
  };
  w.Afflux = api;

  function use(ref) {
    api.referral = ref ? ref.slug : null;
    api.clickId = (ref && ref.clickId) || null;
    api.affiliate = (ref && ref.affiliate) || null;
    api.campaign = (ref && ref.campaign) || null;
  }

  function settle() {
    settled = true;
    var cbs = waiting.splice(0);
    for (var i = 0; i < cbs.length; i++) {
      try { cbs[i](api); } catch (e) { setTimeout(function () { throw e; }, 0); }
    }
  }

  var current = load();
  use(current);
  var found = fromUrl();
  if (found) {
    post("/api/v1/track/click", {
      slug: found.slug,
      campaign: campaignSlug,
      clickId: found.clickId,
      pageUrl: location.href,
      referrer: d.referrer || undefined
    }).then(function (r) {
      var ref = {
        slug: r.referral,
        clickId: r.clickId,
        affiliate: r.affiliate,
        campaign: r.campaign,
        expires: Date.now() + r.campaign.cookieWindowDays * 86400000
      };
      // FirstTouch: the first referral stands for its whole window. LastTouch: the newest wins.
      if (current && r.campaign.attributionModel === "FirstTouch") {
        if (!current.affiliate && current.slug === ref.slug) {
          current.affiliate = ref.affiliate;
          current.campaign = ref.campaign;
          use(current);
        }
      } else {
        save(ref);
        use(ref);
      }
    }).catch(function () { /* unknown slug or offline: keep what we had */ }).then(settle);
  } else {
    settle();
  }

  if (queue && queue.length) {
    for (var i = 0; i < queue.length; i++) {
      var call = queue[i];
      if (call && typeof api[call[0]] === "function") api[call[0]].apply(api, [].slice.call(call, 1));
    }
  }
})();
