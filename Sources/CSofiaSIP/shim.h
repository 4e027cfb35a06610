/* Sofia-SIP's user agent (nua), used only by CSIPGlue: Swift never calls Sofia directly (its
 * tag lists are variadic macros, and it is not thread-safe: every call runs on the SIP thread). */
#include <sofia-sip/nua.h>
