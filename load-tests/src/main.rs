//! `lapp-load`: plays halls of participants through whole activities against a Lapp server.

fn main() {}
