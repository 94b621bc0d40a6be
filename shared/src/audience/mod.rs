//! audience-export's logic: named audiences over the shared lead, score
//! and survey data ([`definition`], [`facts`]), kept as per-audience
//! indexes ([`membership`]), pulled by ad platforms in their own formats
//! ([`formats`], [`export`]) with their own credentials ([`pullers`]),
//! only for people whose consent allows it ([`consent`]), every pull
//! logged ([`log`]).

pub mod admin;
pub mod consent;
pub mod definition;
pub mod export;
pub mod facts;
pub mod formats;
pub mod log;
pub mod membership;
pub mod pullers;
#[cfg(test)]
mod tests;
