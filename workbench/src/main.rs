//! `meowlab-workbench [RUN_DIR ...]`: opens the runs (or folders of runs) given and
//! shows the workbench window. Recent runs persist between sessions.

use std::path::PathBuf;

use meowlab_workbench::Workbench;

const RECENT_KEY: &str = "recent_runs";

struct App(Workbench);

impl eframe::App for App {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.0.ui(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, RECENT_KEY, &self.0.recent);
    }
}

fn main() -> eframe::Result {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!("usage: meowlab-workbench [RUN_DIR ...]\n\nOpens logged runs (from `meowlab play --log` or `meowlab run`), or folders of runs such as data/runs.");
        return Ok(());
    }
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("meowlab workbench")
            .with_inner_size([1280.0, 800.0]),
        ..Default::default()
    };
    eframe::run_native(
        "meowlab workbench",
        options,
        Box::new(move |cc| {
            let mut wb = Workbench::default();
            if let Some(storage) = cc.storage {
                let recent: Vec<PathBuf> =
                    eframe::get_value(storage, RECENT_KEY).unwrap_or_default();
                wb.recent = recent;
            }
            for a in &args {
                wb.open(&PathBuf::from(a));
            }
            Ok(Box::new(App(wb)))
        }),
    )
}
