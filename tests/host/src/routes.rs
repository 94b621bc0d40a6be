//! Spin's HTTP route matching: exact routes (`/a/b`) and wildcards (`/a/...`,
//! `/...`). An exact match wins over a wildcard; a longer wildcard prefix wins
//! over a shorter one.

#[derive(Debug, Clone)]
pub struct Route {
    pub component: String,
    /// As written in the manifest, e.g. `/intake/...`.
    pub raw: String,
    /// Without the trailing `/...`, e.g. `/intake` (empty for `/...`).
    pub base: String,
    pub wildcard: bool,
}

/// What Spin tells a component about how its request was routed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matched {
    pub component: String,
    pub raw_route: String,
    pub component_route: String,
    pub path_info: String,
}

impl Route {
    pub fn new(component: &str, raw: &str) -> Self {
        let trimmed = raw.trim_end_matches('/');
        let (base, wildcard) = match trimmed.strip_suffix("/...") {
            Some(base) => (base.to_string(), true),
            None if trimmed == "..." => (String::new(), true),
            None => (trimmed.to_string(), false),
        };
        Route {
            component: component.to_string(),
            raw: raw.to_string(),
            base,
            wildcard,
        }
    }

    fn path_info(&self, path: &str) -> Option<String> {
        let path = if path.len() > 1 {
            path.trim_end_matches('/')
        } else {
            path
        };
        if !self.wildcard {
            let base = if self.base.is_empty() { "/" } else { &self.base };
            return (path == base).then(String::new);
        }
        let rest = path.strip_prefix(self.base.as_str())?;
        (rest.is_empty() || rest.starts_with('/')).then(|| rest.to_string())
    }
}

pub fn best_match(routes: &[Route], path: &str) -> Option<Matched> {
    routes
        .iter()
        .filter_map(|r| r.path_info(path).map(|info| (r, info)))
        .max_by_key(|(r, _)| (!r.wildcard, r.base.len()))
        .map(|(r, path_info)| Matched {
            component: r.component.clone(),
            raw_route: r.raw.clone(),
            component_route: r.base.clone(),
            path_info,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn routes() -> Vec<Route> {
        vec![
            Route::new("all", "/..."),
            Route::new("intake", "/intake/..."),
            Route::new("deep", "/intake/admin/..."),
            Route::new("exact", "/intake/exact"),
        ]
    }

    #[test]
    fn most_specific_route_wins() {
        let m = |p: &str| best_match(&routes(), p).unwrap().component;
        assert_eq!(m("/intake/health"), "intake");
        assert_eq!(m("/intake"), "intake");
        assert_eq!(m("/intake/admin/leads/1"), "deep");
        assert_eq!(m("/intake/exact"), "exact");
        assert_eq!(m("/intakes"), "all");
        assert_eq!(m("/"), "all");
    }

    #[test]
    fn path_info_is_the_part_after_the_route() {
        let m = best_match(&routes(), "/intake/leads/7").unwrap();
        assert_eq!(m.path_info, "/leads/7");
        assert_eq!(m.component_route, "/intake");
        assert_eq!(m.raw_route, "/intake/...");
    }

    #[test]
    fn no_catch_all_means_no_match() {
        let routes = vec![Route::new("a", "/a/...")];
        assert!(best_match(&routes, "/b").is_none());
    }
}
