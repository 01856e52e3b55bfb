/* placeholder until the chunkd module is written */
int main(void) { return 1; }
