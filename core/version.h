/* version — the version of every lazykite program. */
#ifndef LAZYKITE_VERSION_H
#define LAZYKITE_VERSION_H

#define LAZYKITE_VERSION "0.1.0"

#endif
