//! The dashboard's Affiliates list pages by fifty, newest first, on SQLite or PostgreSQL
//! (`AFFLUX_TEST_DATABASE_URL`): an organization may hold hundreds of thousands of affiliates
//! after an import, so a page never loads them all, and the Pending badge counts them all.

mod support;

use afflux_domain::AttributionModel;
use support::dashboard::{Dash, content};

fn rows(html: &str) -> usize {
    html.matches(r#"<tr id="m-"#).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_affiliates_list_pages_by_fifty() {
    let d = Dash::start().await;
    let program = d.h.program("pro", "20", false, AttributionModel::LastTouch).await;
    for n in 0..53 {
        d.h.affiliate(program.id, &format!("partner{n:02}@example.com")).await;
    }

    let first = d.page("/dashboard/affiliates", &d.owner).await;
    let first = content(&first);
    assert_eq!(rows(first), 50, "{first}");
    assert!(first.contains("partner52@example.com"), "newest first");
    assert!(!first.contains("partner02@example.com"));
    assert!(
        first.contains(r#"href="/dashboard/affiliates?tab=all&#38;page=2" rel="next""#),
        "{first}"
    );
    assert!(!first.contains(r#"rel="prev""#));

    let second = d.page("/dashboard/affiliates?tab=all&page=2", &d.owner).await;
    let second = content(&second);
    assert_eq!(rows(second), 3);
    for n in ["00", "01", "02"] {
        assert!(second.contains(&format!("partner{n}@example.com")), "{second}");
    }
    assert!(second.contains(r#"href="/dashboard/affiliates?tab=all&#38;page=1" rel="prev""#));
    assert!(!second.contains(r#"rel="next""#));

    let past = d.page("/dashboard/affiliates?page=3", &d.owner).await;
    assert!(content(&past).contains("No more affiliates"), "{past}");
    // A mangled page number shows the first page.
    let mangled = d.page("/dashboard/affiliates?page=x", &d.owner).await;
    assert_eq!(rows(content(&mangled)), 50);
    // Nobody is pending: no badge, and the Pending tab is empty.
    let pending = d.page("/dashboard/affiliates?tab=pending", &d.owner).await;
    assert_eq!(rows(content(&pending)), 0);
    assert!(!pending.contains(r#"<span class="count">"#));
    d.stop().await;
}
