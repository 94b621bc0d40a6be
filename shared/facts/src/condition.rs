//! The condition language of scoring rules and audience definitions:
//! `{"fact": <name>, <operator>: <value>}`, or `{"any": [conditions]}`,
//! tested against a value of each fact ([`Condition::holds`]) and checked
//! against the facts a document may test ([`check_condition`]).
//!
//! ```
//! use spin_retention_facts::condition::Condition;
//! use spin_retention_facts::Value;
//!
//! let c: Condition = serde_json::from_str(r#"{"fact": "visits", "at_least": 2}"#).unwrap();
//! assert!(c.holds(&|_: &str| Value::Number(3.0)));
//! ```

use crate::{FactType, Value};
use serde::{Deserialize, Serialize};

/// `{"fact": <name>, <operator>: <value>}`, or `{"any": [conditions]}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fact: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equals: Option<serde_json::Value>,
    #[serde(default, rename = "in", skip_serializing_if = "Option::is_none")]
    pub one_of: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contains: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contains_any: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_least: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_most: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub present: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub any: Option<Vec<Condition>>,
}

impl Condition {
    pub fn holds(&self, value_of: &dyn Fn(&str) -> Value) -> bool {
        if let Some(any) = &self.any {
            return any.iter().any(|c| c.holds(value_of));
        }
        let Some(fact) = &self.fact else { return false };
        let value = value_of(fact);
        let texts: Vec<String> = match &value {
            Value::Text(t) => t.iter().map(|t| t.to_lowercase()).collect(),
            Value::List(l) => l.iter().map(|t| t.to_lowercase()).collect(),
            _ => Vec::new(),
        };
        let lower = |s: &String| s.to_lowercase();
        let contains = |needles: &[String]| {
            texts
                .iter()
                .any(|t| needles.iter().any(|n| t.contains(&n.to_lowercase())))
        };
        if let Some(expected) = &self.equals {
            return match (&value, expected) {
                (Value::Number(n), serde_json::Value::Number(e)) => e.as_f64() == Some(*n),
                (Value::Bool(b), serde_json::Value::Bool(e)) => b == e,
                (_, serde_json::Value::String(e)) => texts.contains(&e.to_lowercase()),
                _ => false,
            };
        }
        if let Some(set) = &self.one_of {
            let set: Vec<String> = set.iter().map(lower).collect();
            return texts.iter().any(|t| set.contains(t));
        }
        if let Some(needle) = &self.contains {
            return contains(std::slice::from_ref(needle));
        }
        if let Some(needles) = &self.contains_any {
            return contains(needles);
        }
        let number = match value {
            Value::Number(n) => n,
            _ => f64::NAN,
        };
        if let Some(min) = self.at_least {
            return number >= min;
        }
        if let Some(max) = self.at_most {
            return number <= max;
        }
        if let Some(present) = self.present {
            let has_value = texts.iter().any(|t| !t.trim().is_empty());
            return has_value == present;
        }
        false
    }
}

/// The facts a set of conditions may test, and where they are listed.
pub struct FactSet {
    pub type_of: fn(&str) -> Option<FactType>,
    /// The endpoint that lists them, named in the error for an unknown fact.
    pub listed_at: &'static str,
}

/// Reports every problem of one condition (and those inside its `any`).
pub fn check_condition(c: &Condition, at: &str, facts: &FactSet, error: &mut impl FnMut(String, String)) {
    if let Some(any) = &c.any {
        let others = Condition { any: None, ..c.clone() };
        if others != Condition::default() {
            error(at.into(), "\"any\" stands alone: put the other tests inside it".into());
        }
        if any.is_empty() {
            error(at.into(), "\"any\" needs at least one condition".into());
        }
        for (k, inner) in any.iter().enumerate() {
            check_condition(inner, &format!("{at}.any[{k}]"), facts, error);
        }
        return;
    }
    let Some(fact) = &c.fact else {
        error(at.into(), "needs a \"fact\" (or \"any\")".into());
        return;
    };
    let Some(kind) = (facts.type_of)(fact) else {
        error(
            at.into(),
            format!("unknown fact \"{fact}\" ({} lists them)", facts.listed_at),
        );
        return;
    };
    let ops: Vec<&str> = [
        ("equals", c.equals.is_some()),
        ("in", c.one_of.is_some()),
        ("contains", c.contains.is_some()),
        ("contains_any", c.contains_any.is_some()),
        ("at_least", c.at_least.is_some()),
        ("at_most", c.at_most.is_some()),
        ("present", c.present.is_some()),
    ]
    .iter()
    .filter(|(_, set)| *set)
    .map(|(op, _)| *op)
    .collect();
    let [op] = ops[..] else {
        error(
            at.into(),
            format!(
                "needs exactly one operator, has {}",
                if ops.is_empty() { "none".into() } else { ops.join(", ") }
            ),
        );
        return;
    };
    let fits = match kind {
        FactType::Text | FactType::List => match op {
            "equals" => c.equals.as_ref().is_some_and(|v| v.is_string()),
            "at_least" | "at_most" => false,
            _ => true,
        },
        FactType::Number => match op {
            "equals" => c.equals.as_ref().is_some_and(|v| v.is_number()),
            "at_least" | "at_most" => true,
            _ => false,
        },
        FactType::Bool => op == "equals" && c.equals.as_ref().is_some_and(|v| v.is_boolean()),
    };
    if !fits {
        let kind = serde_json::to_value(kind).expect("fact types serialise");
        error(
            at.into(),
            format!(
                "\"{op}\" does not fit {fact}, a {} fact (or the value has the wrong type)",
                kind.as_str().unwrap_or("")
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_and_operators() {
        let facts = |name: &str| match name {
            "pages" => Value::List(vec!["https://x.io/Pricing".into()]),
            "visits" => Value::Number(3.0),
            "left_phone" => Value::Bool(true),
            "company" => Value::Text(None),
            _ => Value::Text(Some("IL".into())),
        };
        let c = |json: serde_json::Value| serde_json::from_value::<Condition>(json).unwrap().holds(&facts);
        assert!(c(serde_json::json!({"fact": "pages", "contains": "/pricing"})));
        assert!(c(serde_json::json!({"fact": "visits", "at_least": 2})));
        assert!(!c(serde_json::json!({"fact": "visits", "at_most": 2})));
        assert!(c(serde_json::json!({"fact": "left_phone", "equals": true})));
        assert!(c(serde_json::json!({"fact": "country", "in": ["us", "il"]})));
        assert!(!c(serde_json::json!({"fact": "company", "present": true})));
        assert!(c(serde_json::json!({"fact": "company", "present": false})));
        assert!(c(
            serde_json::json!({"any": [{"fact": "company", "present": true}, {"fact": "country", "equals": "il"}]})
        ));
    }
}
