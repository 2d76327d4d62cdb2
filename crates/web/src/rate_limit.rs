use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use afflux_app::AppError;

/// A fixed-window request counter per key (an API key, a client IP): at most `limit` requests
/// per `window`. In memory, per node.
pub struct RateLimiter {
    limit: u32,
    window: Duration,
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

impl RateLimiter {
    pub fn new(limit: u32, window: Duration) -> Self {
        Self {
            limit,
            window,
            windows: Mutex::new(HashMap::new()),
        }
    }

    pub fn check(&self, key: &str) -> Result<(), AppError> {
        let mut windows = self.windows.lock().expect("rate limiter lock");
        let now = Instant::now();
        if windows.len() > 100_000 {
            windows.retain(|_, (start, _)| now.duration_since(*start) < self.window);
        }
        let (start, count) = windows.entry(key.to_owned()).or_insert((now, 0));
        if now.duration_since(*start) >= self.window {
            *start = now;
            *count = 0;
        }
        if *count >= self.limit {
            let retry = self.window.saturating_sub(now.duration_since(*start));
            return Err(AppError::RateLimited {
                retry_after_secs: retry.as_secs().max(1),
            });
        }
        *count += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_key_per_window() {
        let limiter = RateLimiter::new(2, Duration::from_secs(60));
        assert!(limiter.check("a").is_ok());
        assert!(limiter.check("a").is_ok());
        assert!(matches!(limiter.check("a"), Err(AppError::RateLimited { .. })));
        assert!(limiter.check("b").is_ok());
        let short = RateLimiter::new(1, Duration::from_millis(1));
        assert!(short.check("a").is_ok());
        std::thread::sleep(Duration::from_millis(5));
        assert!(short.check("a").is_ok());
    }
}
