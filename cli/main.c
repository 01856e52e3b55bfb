/* placeholder until the cli module is written */
int main(void) { return 1; }
