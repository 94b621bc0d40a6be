//! Surveys (NPS, CSAT, CES). For now, what other components read of them:
//! the per-lead [`signals`].

pub mod signals;
