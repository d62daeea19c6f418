//! Action checks: exactly one action kind, custom responses that name existing bodies and
//! valid status codes, inserted header names, body sizes and immunity times.

use std::collections::BTreeMap;

use super::acl::{
    CustomResponse, CustomResponseBody, DefaultAction, HeaderField, ImmunityConfig, OverrideAction,
    RuleAction,
};
use super::statement::RuleActionOverride;
use super::validate::Validator;

impl Validator {
    pub(super) fn default_action(
        &mut self,
        action: &DefaultAction,
        bodies: &BTreeMap<String, CustomResponseBody>,
    ) {
        let count = usize::from(action.allow.is_some()) + usize::from(action.block.is_some());
        if count != 1 {
            self.push("DefaultAction", "set exactly one of Allow and Block");
        }
        if let Some(resp) = action
            .block
            .as_ref()
            .and_then(|b| b.custom_response.as_ref())
        {
            self.custom_response("DefaultAction.Block.CustomResponse", resp, bodies);
        }
        if let Some(handling) = action
            .allow
            .as_ref()
            .and_then(|a| a.custom_request_handling.as_ref())
        {
            self.insert_headers(
                "DefaultAction.Allow.CustomRequestHandling",
                &handling.insert_headers,
            );
        }
    }

    pub(crate) fn action(
        &mut self,
        path: &str,
        action: &RuleAction,
        bodies: &BTreeMap<String, CustomResponseBody>,
    ) {
        let set = [
            action.block.is_some(),
            action.allow.is_some(),
            action.count.is_some(),
            action.captcha.is_some(),
            action.challenge.is_some(),
        ];
        if set.iter().filter(|s| **s).count() != 1 {
            self.push(
                path,
                "set exactly one of Allow, Block, Count, Captcha and Challenge",
            );
        }
        if let Some(resp) = action
            .block
            .as_ref()
            .and_then(|b| b.custom_response.as_ref())
        {
            self.custom_response(&format!("{path}.Block.CustomResponse"), resp, bodies);
        }
        let handlings = [
            (
                "Allow",
                action
                    .allow
                    .as_ref()
                    .and_then(|a| a.custom_request_handling.as_ref()),
            ),
            (
                "Count",
                action
                    .count
                    .as_ref()
                    .and_then(|a| a.custom_request_handling.as_ref()),
            ),
            (
                "Captcha",
                action
                    .captcha
                    .as_ref()
                    .and_then(|a| a.custom_request_handling.as_ref()),
            ),
            (
                "Challenge",
                action
                    .challenge
                    .as_ref()
                    .and_then(|a| a.custom_request_handling.as_ref()),
            ),
        ];
        for (name, handling) in handlings {
            if let Some(h) = handling {
                self.insert_headers(
                    &format!("{path}.{name}.CustomRequestHandling"),
                    &h.insert_headers,
                );
            }
        }
    }

    pub(super) fn override_action(&mut self, path: &str, action: &OverrideAction) {
        if usize::from(action.count.is_some()) + usize::from(action.none.is_some()) != 1 {
            self.push(path, "set exactly one of Count and None");
        }
    }

    pub(super) fn custom_response(
        &mut self,
        path: &str,
        resp: &CustomResponse,
        bodies: &BTreeMap<String, CustomResponseBody>,
    ) {
        if !(200..=599).contains(&resp.response_code) {
            self.push(
                &format!("{path}.ResponseCode"),
                "the response code must be 200–599",
            );
        }
        let missing = resp
            .custom_response_body_key
            .as_ref()
            .filter(|k| !bodies.contains_key(*k));
        if let Some(key) = missing {
            self.push(
                &format!("{path}.CustomResponseBodyKey"),
                format!("{key:?} is not a key of CustomResponseBodies"),
            );
        }
        for (i, header) in resp.response_headers.iter().enumerate() {
            self.header_name(&format!("{path}.ResponseHeaders[{i}].Name"), &header.name);
        }
    }

    pub(super) fn insert_headers(&mut self, path: &str, headers: &[HeaderField]) {
        if headers.is_empty() {
            self.push(
                &format!("{path}.InsertHeaders"),
                "needs at least one header",
            );
        }
        for (i, header) in headers.iter().enumerate() {
            self.header_name(&format!("{path}.InsertHeaders[{i}].Name"), &header.name);
        }
    }

    pub(super) fn bodies(&mut self, bodies: &BTreeMap<String, CustomResponseBody>) {
        for (key, body) in bodies {
            let path = format!("CustomResponseBodies.{key}");
            self.name(&path, key);
            if body.content.is_empty() || body.content.len() > 4096 {
                self.push(
                    &format!("{path}.Content"),
                    "a custom response body must be 1–4096 bytes",
                );
            }
        }
    }

    pub(super) fn immunity(&mut self, path: &str, config: Option<&ImmunityConfig>) {
        let Some(time) = config.and_then(|c| c.immunity_time_property.as_ref()) else {
            return;
        };
        if !(60..=259_200).contains(&time.immunity_time) {
            self.push(
                &format!("{path}.ImmunityTimeProperty.ImmunityTime"),
                "the immunity time must be 60–259200 seconds",
            );
        }
    }

    pub(crate) fn overrides(&mut self, path: &str, overrides: &[RuleActionOverride]) {
        for (i, o) in overrides.iter().enumerate() {
            self.action(
                &format!("{path}[{i}].ActionToUse"),
                &o.action_to_use,
                &BTreeMap::new(),
            );
        }
    }
}
