#include "sim/explore/point_runner.hpp"

#include "sim/common/error.hpp"
#include "sim/validate/child_pool.hpp"

namespace xpusim::explore {

void run_points(const std::vector<Point>& points, const std::filesystem::path& config_dir, int jobs,
                const std::function<void(std::size_t, const Outcome&)>& done) {
  validate::ChildPool pool(jobs);
  // launch() returns indices in launch order: task i is points[i].
  pool.on_finish([&](std::size_t i, const validate::ChildPool::Result& r) {
    Outcome o;
    if (!r.delivered) {
      o.error = "simulation process " + r.failure;
    } else {
      const auto j = nlohmann::ordered_json::parse(r.data);
      o.ok = j.at("ok").get<bool>();
      if (o.ok)
        o.metrics = j.at("metrics");
      else
        o.error = j.at("error").get<std::string>();
    }
    done(i, o);
  });
  for (const Point& p : points)
    pool.launch([&p, &config_dir] {
      nlohmann::ordered_json j;
      try {
        j["ok"] = true;
        j["metrics"] = evaluate(p, config_dir);
      } catch (const UserError& e) {
        j = {{"ok", false}, {"error", e.what()}};
      } catch (const std::exception& e) {
        j = {{"ok", false}, {"error", std::string("internal error: ") + e.what()}};
      }
      return j.dump();
    });
  pool.results();
}

}  // namespace xpusim::explore
