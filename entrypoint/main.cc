// claude-init entry point (being built up; see ARCHITECTURE.md).
int main() { return 0; }
