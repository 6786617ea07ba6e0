/* clock — durations: seconds on the monotonic clock (CLOCK_MONOTONIC),
 * which only differences of make sense. */
#ifndef LAZYKITE_CLOCK_H
#define LAZYKITE_CLOCK_H

double lk_clock_seconds(void);

#endif
