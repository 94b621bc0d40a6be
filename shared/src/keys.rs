//! Every key in the shared key-value store, with its owner and layout.
//!
//! One place, so that components never invent keys ad hoc. A key's owner is
//! the only component that writes it; others may read it.
//!
//! | key                   | owner           | value                                   |
//! |-----------------------|-----------------|-----------------------------------------|
//! | `health:<component>`  | that component  | [`crate::health::HealthRecord`] (JSON)  |
//!
//! Keys are `<kind>:<id>[:<sub>...]`. Ids never contain `:`.

/// The health record a component round-trips on each health check.
pub fn health(component: &str) -> String {
    format!("health:{component}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn health_key_is_namespaced_by_component() {
        assert_eq!(super::health("lead-intake"), "health:lead-intake");
    }
}
