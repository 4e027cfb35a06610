#include <flite/flite.h>
/* The voice registration functions have no header of their own. */
cst_voice *register_cmu_us_slt(const char *voxdir);
