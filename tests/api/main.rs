//! End-to-end tests of the public API over real HTTP against `pollhook serve`.

mod auth;
mod bad_requests;
mod crash_points;
mod delivery;
mod element_catalogue;
mod faults;
mod helpers;
mod lifecycle;
mod metrics;
mod paging;
mod polling;
mod seed_bodies;
