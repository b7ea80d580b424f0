//! One file per panel; each exposes `show(ui, &mut Workbench)`.

pub mod browser;
pub mod control;
pub mod curves;
pub mod decision;
pub mod evaluation;
pub mod menu;
pub mod planes;
pub mod shapley;
pub mod table;
pub mod timeline;
