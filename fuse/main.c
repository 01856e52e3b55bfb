/* placeholder until the fuse module is written */
int main(void) { return 1; }
