/* placeholder until the master module is written */
int main(void) { return 1; }
