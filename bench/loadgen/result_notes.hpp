// What a results entry's figures cannot say by themselves, as sentences for the table under a run
// and for the HTML report (sans-I/O: an entry in, sentences out). Each note names the figure it
// qualifies and what would settle it, so that nobody takes a chance difference or a server's
// queue for what a proxy costs.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace loadgen {

// In this order, each when it applies:
//  - bench's busiest worker thread used at least 80% of a core over the measured phase
//    ("load_generator"): the latencies include bench's own delays;
//  - -find-max: in the lowest trial over the SLO, bench's busiest worker thread used at least 80%
//    of a core, so the rate found may be bench's limit;
//  - the hypervisor withheld at least 5% of the machine's CPU time (steal), then its CPUs were at
//    least 90% busy, then processes other than bench and the sampled servers used at least
//    other_processes_note_percent of a core together ("machine");
//  - the overhead interval comes from fewer than min_pairs_for_interval window pairs;
//  - the overhead p50 interval lies over 1 ms away from the proxy's own time (its Server-Timing,
//    present when the candidate is this project's proxy), so the difference arose elsewhere;
//  - p90, p99 or p99.9 has fewer than min_tail_samples requests beyond it (of the overhead's
//    smaller side over its window pairs, or of the sides' successes without an overhead);
//  - the candidate's, then the direct target's, p50 under load was over twice its p50 alone (its
//    "baseline", plus 1 ms): it queued. A queue at the direct target (the candidate's upstream)
//    gives one note, on the direct target, for both sides; the candidate's note names the direct
//    target's CPU, and where it was near a whole core, the queue most likely there. Without a
//    baseline: its sampled process used at least 80% of a core while its p50 was over 1.5x its
//    fastest answer (plus 1 ms): likely past its capacity.
// Fields absent, null or of the wrong type (a hand-edited or merged file) give no note.
// tail_notes::leave_out drops the note on thin tail percentiles, for a summary that marks those
// figures itself (`bench summary`).
enum class tail_notes
{
    include,
    leave_out
};
std::vector<std::string> result_notes(const nlohmann::json& entry, tail_notes tails = tail_notes::include);

// Half a core: on this project's two-core machine, a neighbour that busy takes a quarter of all the
// CPU time a run has, while an idle desktop's background stays at a few percent.
inline constexpr double other_processes_note_percent = 50.0;

// The busiest other processes of a "machine" block's "other_processes", for a line of text:
// "cc1plus (pid 1234) 55.0%, make (pid 99) 4.0%"; names made printable. Empty without them.
std::string busiest_other_processes(const nlohmann::json& other_processes);

} // namespace loadgen
