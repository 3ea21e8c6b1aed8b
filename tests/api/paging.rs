//! `GET /instances` a page at a time: `limit` and the `Link: <...>; rel="next"` header walk
//! every instance once, in listing order, even when the instance a page ended on is deleted.

use serde_json::Value;

use crate::helpers::{account_auth, fixture, read, TestServer};

/// One page: the instances' ids and the next page's path from the `Link` header, if any.
async fn page(server: &TestServer, path: &str) -> (Vec<u64>, Option<String>) {
    let response = server
        .client
        .get(server.url(path))
        .header("Authorization", account_auth())
        .send()
        .await
        .expect("request");
    let next = response
        .headers()
        .get("link")
        .map(|v| v.to_str().expect("Link is text").to_owned())
        .map(|link| {
            let target = link
                .strip_prefix('<')
                .and_then(|l| l.split_once(">; rel=\"next\""))
                .unwrap_or_else(|| panic!("not a rel=next link: {link}"));
            target.0.to_owned()
        });
    let (status, body) = read(response).await;
    assert_eq!(status, 200, "{path}: {body}");
    (ids(&body), next)
}

fn ids(body: &Value) -> Vec<u64> {
    body.as_array()
        .expect("a list")
        .iter()
        .map(|i| i["id"].as_u64().expect("id"))
        .collect()
}

#[tokio::test]
async fn pages_follow_their_links_through_every_instance_once_in_order() {
    let server = TestServer::start();
    for _ in 0..7 {
        let (status, created) = server
            .post_raw("/instances", &fixture("sagecrm-seed.json"))
            .await;
        assert_eq!(status, 200, "{created}");
    }
    let (status, all) = server.get("/instances", &account_auth()).await;
    assert_eq!(status, 200);
    let all = ids(&all);
    assert_eq!(all.len(), 7);

    let mut seen = Vec::new();
    let mut path = Some("/instances?limit=3".to_owned());
    let mut pages = 0;
    while let Some(p) = path {
        let (ids, next) = page(&server, &p).await;
        assert!(ids.len() <= 3, "{p} answered {} items", ids.len());
        seen.extend(ids);
        path = next;
        pages += 1;
        assert!(pages <= 4, "paging does not end");
    }
    assert_eq!(seen, all, "every instance once, in listing order");
    assert_eq!(
        pages, 3,
        "3 + 3 + 1: the last page is short and has no link"
    );

    // The instance a page ended on is deleted before the next page is read: that page still
    // starts right after it.
    let (first, next) = page(&server, "/instances?limit=2").await;
    let next = next.expect("a next page");
    let deleted = server
        .client
        .delete(server.url(&format!("/instances/{}", first[1])))
        .header("Authorization", account_auth());
    assert_eq!(server.send(deleted).await.0, 200);
    let (rest, _) = page(&server, &next.replace("limit=2", "limit=100")).await;
    assert_eq!(rest, all[2..].to_vec());

    // Six remain: two full pages of three, the second linking to an empty one without a link.
    let (one, next) = page(&server, "/instances?limit=3").await;
    assert_eq!(one, [all[0], all[2], all[3]]);
    let (two, next) = page(&server, &next.expect("link")).await;
    assert_eq!(two, all[4..].to_vec());
    let (three, next) = page(&server, &next.expect("a full page links on")).await;
    assert!(three.is_empty());
    assert!(next.is_none());
}

#[tokio::test]
async fn a_bad_limit_or_page_token_is_a_400_naming_it() {
    let server = TestServer::start();
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("limit=ten", "limit"),
        ("after=abc", "after"),
        ("after=12", "after"),
        ("limit=2&after=-5-1", "after"),
    ] {
        let (status, body) = server
            .get(&format!("/instances?{query}"), &account_auth())
            .await;
        assert_eq!(status, 400, "{query}: {body}");
        assert!(
            body.to_string().contains(field),
            "{query}: the error should name '{field}': {body}"
        );
    }
}
