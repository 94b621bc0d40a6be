//! Spin variables: application variables resolved once from explicit values,
//! the environment (`SPIN_VARIABLE_<NAME>`, as Spin's env provider does) and
//! defaults; component variables are templates over them (`"{{ name }}"`).

use crate::manifest::Manifest;
use anyhow::{anyhow, bail, Result};
use std::collections::{BTreeMap, HashMap};

pub type Values = HashMap<String, String>;

/// Resolves every application variable, failing as `spin up` does when a
/// required one has no value.
pub fn resolve_app(manifest: &Manifest, explicit: &Values, env: impl Fn(&str) -> Option<String>) -> Result<Values> {
    let mut values = Values::new();
    for (name, def) in &manifest.variables {
        check_name(name)?;
        let value = explicit
            .get(name)
            .cloned()
            .or_else(|| env(&format!("SPIN_VARIABLE_{}", name.to_ascii_uppercase())))
            .or_else(|| def.default.clone());
        match value {
            Some(v) => {
                values.insert(name.clone(), v);
            }
            None => bail!("application variable {name:?} is required but has no value"),
        }
    }
    for name in explicit.keys() {
        if !manifest.variables.contains_key(name) {
            bail!("variable {name:?} is set but not declared in the manifest");
        }
    }
    Ok(values)
}

/// Expands a component's variable templates against the application values.
pub fn expand_all(templates: &BTreeMap<String, String>, app: &Values) -> Result<Values> {
    templates
        .iter()
        .map(|(name, template)| {
            check_name(name)?;
            Ok((name.clone(), expand(template, app)?))
        })
        .collect()
}

/// `"{{ name }}"` placeholders replaced by application variable values.
pub fn expand(template: &str, app: &Values) -> Result<String> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .ok_or_else(|| anyhow!("unclosed '{{{{' in {template:?}"))?;
        let name = after[..end].trim();
        let value = app
            .get(name)
            .ok_or_else(|| anyhow!("{template:?} refers to undeclared variable {name:?}"))?;
        out.push_str(value);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Spin's rule for variable names: lowercase ASCII letters, digits and
/// underscores, starting with a letter.
pub fn check_name(name: &str) -> Result<()> {
    let mut chars = name.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if valid {
        Ok(())
    } else {
        bail!("invalid variable name {name:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_placeholders_with_or_without_spaces() {
        let app: Values = [("a".into(), "1".into()), ("b".into(), "two".into())].into();
        assert_eq!(expand("x{{ a }}y{{b}}", &app).unwrap(), "x1ytwo");
        assert!(expand("{{ c }}", &app).is_err());
        assert!(expand("{{ a", &app).is_err());
    }

    #[test]
    fn names_follow_spin_rules() {
        assert!(check_name("admin_token").is_ok());
        assert!(check_name("Admin").is_err());
        assert!(check_name("1a").is_err());
        assert!(check_name("a-b").is_err());
    }
}
