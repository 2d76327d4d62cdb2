//! Who is clicking, without keeping who they are: a keyed hash of address and user agent, the
//! bot filter, and the referring site's domain.

use std::net::IpAddr;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use time::OffsetDateTime;

/// What the edge knows about one request to a tracking surface.
#[derive(Debug, Clone)]
pub struct Visit {
    /// The client address, already resolved through trusted proxies.
    pub ip: IpAddr,
    pub user_agent: Option<String>,
    /// The `Referer` header of a link click, or `document.referrer` sent by the script.
    pub referrer: Option<String>,
    /// A request that must never count: HEAD, or a browser prefetch of the link.
    pub no_count: bool,
}

impl Visit {
    /// Bots, HEAD requests and prefetches are answered but not counted.
    pub fn counts(&self) -> bool {
        !self.no_count && !is_bot(self.user_agent.as_deref().unwrap_or(""))
    }
}

/// Lower-case substrings of user agents that are not people: crawlers, link unfurlers of chat
/// apps and social networks, uptime monitors, HTTP libraries and headless browsers. Real
/// peers keep a long list (Dub's is ~600 lines); these cover the bulk of automated traffic
/// without catching mainstream browsers or in-app browsers (Facebook's `FBAN`, Instagram,
/// Pinterest's app), which are people.
const BOT_MARKERS: &[&str] = &[
    "bot",
    "crawl",
    "spider",
    "slurp",
    "archiver",
    "facebookexternalhit",
    "facebookcatalog",
    "meta-externalagent",
    "embedly",
    "preview",
    "whatsapp",
    "skypeuripreview",
    "vkshare",
    "quora link",
    "outbrain",
    "lighthouse",
    "pingdom",
    "uptime",
    "monitor",
    "statuscake",
    "headless",
    "phantomjs",
    "puppeteer",
    "playwright",
    "selenium",
    "curl/",
    "wget",
    "httpie",
    "python-",
    "python/",
    "aiohttp",
    "scrapy",
    "go-http-client",
    "java/",
    "okhttp",
    "apache-httpclient",
    "libwww",
    "lwp-",
    "node-fetch",
    "axios",
    "undici",
    "ruby",
    "php/",
    "guzzle",
    "postman",
    "insomnia",
    "dataprovider",
    "validator",
    "feedfetcher",
    "mediapartners",
];

/// True for an empty user agent or one naming a bot, a tool or a headless browser.
pub fn is_bot(user_agent: &str) -> bool {
    let ua = user_agent.trim().to_ascii_lowercase();
    ua.is_empty() || BOT_MARKERS.iter().any(|m| ua.contains(m))
}

/// The host of an http(s) referrer, lower-cased and without a leading `www.`, for
/// traffic-source reports. Anything else (empty, opaque, a local file) is no referrer.
pub fn referrer_domain(referrer: &str) -> Option<String> {
    let url = url::Url::parse(referrer.trim()).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    let host = url.host_str()?.to_ascii_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host);
    (!host.is_empty() && host.len() <= 253).then(|| host.to_owned())
}

/// Hashes visitors with a key derived from the instance secret. The UTC day is part of the
/// input, so one visitor's hashes cannot be linked across days: dedupe only needs the hour.
pub(crate) struct VisitorHasher {
    /// The MAC with its key already absorbed: each hash starts from a copy.
    keyed: Hmac<Sha256>,
}

impl VisitorHasher {
    pub(crate) fn new(key: impl Into<Vec<u8>>) -> Self {
        let key = key.into();
        Self {
            keyed: Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes any key length"),
        }
    }

    pub(crate) fn hash(&self, ip: IpAddr, user_agent: &str, at: OffsetDateTime) -> Vec<u8> {
        let mut mac = self.keyed.clone();
        mac.update(&at.unix_timestamp().div_euclid(86_400).to_be_bytes());
        match ip.to_canonical() {
            IpAddr::V4(v4) => mac.update(&v4.octets()),
            IpAddr::V6(v6) => mac.update(&v6.octets()),
        }
        mac.update(&[0]);
        mac.update(user_agent.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
    const SAFARI_IOS: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
    const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
    const EDGE: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0";
    const ANDROID: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36";

    #[test]
    fn browsers_are_people_and_tools_are_bots() {
        for ua in [CHROME, SAFARI_IOS, FIREFOX, EDGE, ANDROID] {
            assert!(!is_bot(ua), "{ua}");
        }
        for ua in [
            "",
            "  ",
            "Googlebot/2.1 (+http://www.google.com/bot.html)",
            "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
            "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
            "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
            "WhatsApp/2.23.20.0",
            "curl/8.5.0",
            "Wget/1.21",
            "python-requests/2.31.0",
            "Go-http-client/1.1",
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36",
            "Mozilla/5.0 (compatible; Yahoo! Slurp)",
        ] {
            assert!(is_bot(ua), "{ua}");
        }
    }

    #[test]
    fn referrer_domains() {
        assert_eq!(
            referrer_domain("https://www.YouTube.com/watch?v=1").as_deref(),
            Some("youtube.com")
        );
        assert_eq!(
            referrer_domain("http://blog.example.org:8080/post").as_deref(),
            Some("blog.example.org")
        );
        assert_eq!(referrer_domain(""), None);
        assert_eq!(referrer_domain("android-app://com.google.android.gm/"), None);
        assert_eq!(referrer_domain("not a url"), None);
    }

    #[test]
    fn hashes_are_keyed_per_visitor_and_day() {
        let h = VisitorHasher::new(b"k1".to_vec());
        let ip: IpAddr = "203.0.113.7".parse().unwrap();
        let day = time::macros::datetime!(2026-11-21 10:00 UTC);
        let a = h.hash(ip, CHROME, day);
        assert_eq!(a.len(), 32);
        assert_eq!(a, h.hash(ip, CHROME, day + time::Duration::hours(5)));
        // The same address seen as IPv4-mapped IPv6 is the same visitor.
        assert_eq!(a, h.hash("::ffff:203.0.113.7".parse().unwrap(), CHROME, day));
        assert_ne!(a, h.hash(ip, FIREFOX, day));
        assert_ne!(a, h.hash("203.0.113.8".parse().unwrap(), CHROME, day));
        assert_ne!(a, h.hash(ip, CHROME, day + time::Duration::days(1)));
        assert_ne!(a, VisitorHasher::new(b"k2".to_vec()).hash(ip, CHROME, day));
    }
}
