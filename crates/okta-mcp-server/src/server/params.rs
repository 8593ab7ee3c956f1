//! What is wrong with a request's params, for the methods this server serves. The SDK
//! decodes a standard method whose params do not fit its type as a custom request, which
//! would be answered "method not found"; this names the parameter instead (-32602), on
//! every transport.

use rmcp::model::{
    CallToolRequestParams, CompleteRequestParams, InitializeRequestParams, PaginatedRequestParams,
};

/// For the methods this server serves, what is wrong with `params` (None if they fit, or if
/// the method is not one of them).
#[allow(deprecated)] // SetLevelRequestParams: the logging capability is still in the spec clients probe.
pub fn problem(method: &str, params: Option<&serde_json::Value>) -> Option<String> {
    fn check<T: serde::de::DeserializeOwned>(
        method: &str,
        params: Option<&serde_json::Value>,
        required: bool,
    ) -> Option<String> {
        let Some(params) = params else {
            return required.then(|| {
                format!("Invalid params: {method} needs params (an object); none were sent")
            });
        };
        match serde_path_to_error::deserialize::<_, T>(params) {
            Ok(_) => None,
            Err(e) => {
                let path = e.path().to_string();
                let inner = e.into_inner();
                Some(if path == "." {
                    format!("Invalid params for {method}: {inner}")
                } else {
                    format!("Invalid params for {method}: {path}: {inner}")
                })
            }
        }
    }
    match method {
        "initialize" => check::<InitializeRequestParams>(method, params, true),
        "tools/call" => check::<CallToolRequestParams>(method, params, true),
        "tools/list" => check::<PaginatedRequestParams>(method, params, false),
        "logging/setLevel" => check::<rmcp::model::SetLevelRequestParams>(method, params, true),
        "completion/complete" => check::<CompleteRequestParams>(method, params, true),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ill_typed_params_name_the_parameter() {
        let missing = problem("tools/call", None).unwrap();
        assert!(missing.contains("needs params"), "{missing}");
        let wrong = problem(
            "tools/call",
            Some(&json!({"name": "x", "arguments": "nope"})),
        )
        .unwrap();
        assert!(wrong.contains("arguments"), "{wrong}");
        let no_name = problem("tools/call", Some(&json!({}))).unwrap();
        assert!(no_name.contains("name"), "{no_name}");
        let level = problem("logging/setLevel", Some(&json!({"level": "loud"}))).unwrap();
        assert!(level.contains("level"), "{level}");
        assert_eq!(problem("tools/call", Some(&json!({"name": "x"}))), None);
        assert_eq!(problem("tools/list", None), None);
        assert_eq!(problem("some/extension", Some(&json!(1))), None);
    }
}
