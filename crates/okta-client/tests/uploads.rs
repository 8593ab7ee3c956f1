//! Multipart uploads end to end: a theme logo sent as the `file` part, and Okta's
//! validation error (with its cause) when the file is not an image.

mod common;

use common::start;
use okta_client::{ApiPath, ApiRequest, Upload, paths};
use okta_sandbox::faults::FaultConfig;

/// The first brand's first theme.
async fn theme(org: &common::Org) -> (String, String) {
    let brands = org
        .client
        .send(ApiRequest::get(ApiPath::new(paths::BRANDS)))
        .await
        .unwrap();
    let brand = brands.body[0]["id"].as_str().expect("a brand").to_owned();
    let themes = org
        .client
        .send(ApiRequest::get(
            ApiPath::new(paths::BRANDS).id(&brand).lit("themes"),
        ))
        .await
        .unwrap();
    let theme = themes.body[0]["id"].as_str().expect("a theme").to_owned();
    (brand, theme)
}

fn logo_path(brand: &str, theme: &str) -> ApiPath {
    ApiPath::new(paths::BRANDS)
        .id(brand)
        .lit("themes")
        .id(theme)
        .lit("logo")
}

#[tokio::test]
async fn a_logo_goes_up_as_one_multipart_file() {
    let org = start(FaultConfig::default()).await;
    let (brand, theme) = theme(&org).await;
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend_from_slice(&[0u8; 512]);
    let upload = Upload::file("logo.png", "image/png", png);
    assert!(format!("{upload:?}").contains("bytes: 520"));

    let response = org
        .client
        .send(ApiRequest::post(logo_path(&brand, &theme)).upload(upload))
        .await
        .expect("uploaded");
    assert_eq!(response.status, 200);
    let url = response.body["url"]
        .as_str()
        .expect("the stored image's URL");
    assert!(url.ends_with("ext=png"), "{url}");
    let posts = org.requests("POST", paths::BRANDS);
    assert_eq!(posts.len(), 1);
}

#[tokio::test]
async fn a_file_that_is_not_an_image_is_refused_with_the_cause() {
    let org = start(FaultConfig::default()).await;
    let (brand, theme) = theme(&org).await;
    let upload = Upload::file("notes.png", "image/png", b"just text".to_vec());
    let err = org
        .client
        .send(ApiRequest::post(logo_path(&brand, &theme)).upload(upload))
        .await
        .expect_err("refused");
    assert_eq!(err.status(), Some(400));
    assert_eq!(err.error_code(), Some("E0000001"));
    assert!(err.hint().contains("PNG"), "{}", err.hint());
}
