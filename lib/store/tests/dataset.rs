//! `dataset::read_table`: a table the way pyarrow, DuckDB and Spark see it.

use std::sync::Arc;

use meowlab_store::arrow::{
    Array, DataType, Field, Float64Array, Int64Array, RecordBatch, Schema, StringArray, UInt64Array,
};
use meowlab_store::dataset::read_table;
use meowlab_store::{StoreError, TableWriter, WriterOptions};

fn write(dir: &std::path::Path, schema: Arc<Schema>, ids: &[u64], with_note: bool) {
    let mut columns: Vec<Arc<dyn Array>> = vec![
        Arc::new(UInt64Array::from(ids.to_vec())),
        Arc::new(Float64Array::from(
            ids.iter().map(|&i| i as f64 / 2.0).collect::<Vec<_>>(),
        )),
    ];
    if with_note {
        columns.push(Arc::new(StringArray::from(vec![Some("new"); ids.len()])));
    }
    let mut w = TableWriter::open(dir, schema.clone(), WriterOptions::default()).unwrap();
    w.write(&RecordBatch::try_new(schema, columns).unwrap())
        .unwrap();
    w.close().unwrap();
}

#[test]
fn partitions_become_columns_and_older_files_are_padded() {
    let run = std::env::temp_dir().join(format!("meowlab-dataset-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&run);
    let old = Arc::new(Schema::new(vec![
        Field::new("id", DataType::UInt64, false),
        Field::new("x", DataType::Float64, false),
    ]));
    let mut fields = old.fields().to_vec();
    fields.push(Arc::new(Field::new("note", DataType::Utf8, true)));
    let new = Arc::new(Schema::new(fields));
    write(
        &run.join("t/update=00000001/actor=a"),
        old.clone(),
        &[1, 2],
        false,
    );
    write(
        &run.join("t/update=00000002/actor=b"),
        new.clone(),
        &[3],
        true,
    );

    let (schema, batches) = read_table(&run, "t", None).unwrap();
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(names, ["id", "x", "note", "update", "actor"]);
    assert_eq!(
        schema.field(3).data_type(),
        &DataType::Int64,
        "integer keys are integers"
    );
    assert_eq!(schema.field(4).data_type(), &DataType::Utf8);
    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    assert_eq!(rows, 3);
    let first = &batches[0];
    assert_eq!(
        first.column(2).null_count(),
        2,
        "the older file's new column is null"
    );
    let update = first
        .column(3)
        .as_any()
        .downcast_ref::<Int64Array>()
        .unwrap();
    assert_eq!(update.values(), &[1, 1]);

    let (schema, batches) = read_table(&run, "t", Some(&["actor".into(), "x".into()])).unwrap();
    assert_eq!(schema.fields().len(), 2);
    let actor = batches[1]
        .column(0)
        .as_any()
        .downcast_ref::<StringArray>()
        .unwrap();
    assert_eq!(actor.value(0), "b");

    let err = read_table(&run, "t", Some(&["nope".into()])).unwrap_err();
    assert!(matches!(err, StoreError::NoColumn { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("no column \"nope\" (columns: id, x, note, update, actor)"),
        "{err}"
    );
    for bad in ["missing", "../t", ""] {
        let err = read_table(&run, bad, None).unwrap_err();
        assert!(matches!(err, StoreError::NoTable { .. }), "{bad}: {err}");
    }
    // a file whose columns are not the others' prefix is refused by name
    let other = Arc::new(Schema::new(vec![Field::new("id", DataType::Utf8, false)]));
    let mut w = TableWriter::open(
        &run.join("t/update=00000003/actor=c"),
        other.clone(),
        WriterOptions::default(),
    )
    .unwrap();
    w.write(&RecordBatch::try_new(other, vec![Arc::new(StringArray::from(vec!["z"]))]).unwrap())
        .unwrap();
    w.close().unwrap();
    let err = read_table(&run, "t", None).unwrap_err();
    assert!(err.to_string().contains("update=00000003"), "{err}");
    std::fs::remove_dir_all(&run).unwrap();
}
