//! Interventional Shapley values of a small fixed model, for the cross-check against
//! python `shap` (tests/oracle/shapley_oracle.py). Reads JSON lines
//! `{"x": [..], "background": [[..], ..], "w": [..], "b": f}` and prints one JSON array
//! of φ per line. The model is f(z) = tanh(w·z + b) + z₀·z₁ (both sides define it the
//! same way), each feature one player.

use std::io::{BufRead, Write};

use meowlab::explain::{exact_from_table, interventional, Players};

#[derive(serde::Deserialize)]
struct Case {
    x: Vec<f32>,
    background: Vec<Vec<f32>>,
    w: Vec<f64>,
    b: f64,
}

fn model(w: &[f64], b: f64, z: &[f32]) -> f64 {
    let dot: f64 = w.iter().zip(z).map(|(w, &z)| w * z as f64).sum();
    (dot + b).tanh() + z[0] as f64 * z[1] as f64
}

fn main() {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for (n, line) in std::io::stdin().lock().lines().enumerate() {
        let line = line.unwrap_or_else(|e| fail(n, &e.to_string()));
        let case: Case = serde_json::from_str(&line).unwrap_or_else(|e| fail(n, &e.to_string()));
        let dims = case.x.len();
        if dims < 2 || case.w.len() != dims || case.background.iter().any(|r| r.len() != dims) {
            fail(
                n,
                "x, w and every background row need the same length (≥ 2)",
            );
        }
        let players = Players::singletons((0..dims).map(|i| format!("x{i}")).collect());
        let background: Vec<f32> = case.background.concat();
        let table = interventional(&players, &case.x, &background, |z| {
            model(&case.w, case.b, z)
        })
        .unwrap_or_else(|e| fail(n, &e.to_string()));
        let phi = exact_from_table(&table).unwrap_or_else(|e| fail(n, &e.to_string()));
        let _ = writeln!(
            out,
            "{}",
            serde_json::to_string(&phi).expect("floats serialise")
        );
    }
}

fn fail(line: usize, why: &str) -> ! {
    eprintln!("shapley-crosscheck: line {}: {why}", line + 1);
    std::process::exit(2)
}
