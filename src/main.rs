fn main() {
    std::process::exit(backlint::app::main());
}
