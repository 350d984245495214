//! The search's words: any text through the bounds and tantivy's query parser over the
//! service's fields. It must be refused or parsed, never overflow or take long (the runner's
//! `-timeout` fails an input that takes seconds), and no panic may escape `bounds::parse`: the
//! parser panics on some inputs (see `corpus/query/tantivy-exists-without-field-panic`), which
//! `parse` catches as the service does. libfuzzer-sys's hook aborts at any panic, caught or not,
//! so the target sets a silent one; a panic that escapes still aborts the run.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use pieces_fuzz::{analysis, bounds};
use tantivy::query::QueryParser;
use tantivy::schema::{IndexRecordOption, Schema, TextFieldIndexing, TextOptions, STRING};
use tantivy::Index;

static PARSER: LazyLock<QueryParser> = LazyLock::new(|| {
    std::panic::set_hook(Box::new(|_| {}));
    let mut schema = Schema::builder();
    let french = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(analysis::FRENCH)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let fields = ["title", "text", "comment", "original_name", "provider_name", "seller_name"]
        .map(|name| schema.add_text_field(name, french.clone()));
    schema.add_text_field("kind", STRING);
    let index = Index::create_in_ram(schema.build());
    index.tokenizers().register(analysis::FRENCH, analysis::french());
    let mut parser = QueryParser::for_index(&index, fields.to_vec());
    parser.set_conjunction_by_default();
    parser.set_field_boost(fields[0], 2.0);
    parser
});

fuzz_target!(|q: &str| {
    let _ = bounds::parse(&PARSER, q.trim());
});
