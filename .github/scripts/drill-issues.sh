#!/usr/bin/env bash
# Keeps one open issue per drilled environment ("lab" for the lab legs) in step with a drill run.
#   drill-issues.sh REPORTS_DIR
# REPORTS_DIR holds one directory per leg's artifact (drill-lab-<scenario>, drill-<env>-<scenario>)
# with the drill's <name>.json report (verdict, environment, scenario.id) and <name>.md.
# Environment: LAB_SCENARIOS (JSON array), CLOUD (JSON object, {} without a cloud drill),
# REPOSITORY, RUN_URL, GH_TOKEN; BOT_LOGIN (default github-actions[bot]) is the only author whose
# issues are recognized, so an issue someone else wrote with the same marker is never touched.
# A leg that failed or ended without a report opens or updates its environment's issue; an
# environment whose every leg passed gets its open issue closed.
set -euo pipefail
shopt -s nullglob

reports_dir=${1:?usage: drill-issues.sh REPORTS_DIR}
bot=${BOT_LOGIN:-github-actions[bot]}

legs=$(jq -cen --argjson lab "${LAB_SCENARIOS:-[]}" --argjson cloud "${CLOUD:-"{}"}" '
  [$lab[] | {environment: "lab", scenario: ., artifact: "drill-lab-\(.)"}]
  + (if ($cloud.environment // "") != ""
     then [{environment: $cloud.environment, scenario: $cloud.scenario,
            artifact: "drill-\($cloud.environment)-\($cloud.scenario)"}]
     else [] end)')
environments=$(jq -r 'map(.environment) | unique | .[]' <<<"$legs")
if [[ -z "$environments" ]]; then
  echo "No drill legs in this run."
  exit 0
fi

gh label create dr-drill --repo "$REPOSITORY" --color B60205 \
  --description "A DR drill missed an objective or ended without a report" >/dev/null 2>&1 || true
open_issues=$(gh api --paginate "repos/$REPOSITORY/issues?state=open&labels=dr-drill&per_page=100" | jq -s 'add // []')

while read -r environment; do
  marker="<!-- dr-drill:$environment -->"
  failing=0
  lines=""
  details=""
  environment_legs=$(jq -c --arg e "$environment" '.[] | select(.environment == $e)' <<<"$legs")
  while read -r leg; do
    scenario=$(jq -r '.scenario' <<<"$leg")
    artifact=$(jq -r '.artifact' <<<"$leg")
    reports=("$reports_dir/$artifact"/*.json)
    if ((${#reports[@]} == 0)); then
      failing=$((failing + 1))
      lines+="- \`$scenario\`: **no report**: the leg ended before writing one (failed, cancelled, timed out or never started); see the run"$'\n'
      continue
    fi
    verdict=$(jq -r '.verdict // "no verdict"' "${reports[0]}" 2>/dev/null || echo "unreadable report")
    if [[ "$verdict" == "pass" ]]; then
      lines+="- \`$scenario\`: pass"$'\n'
    else
      failing=$((failing + 1))
      lines+="- \`$scenario\`: **$verdict**"$'\n'
      markdown="${reports[0]%.json}.md"
      if [[ -f "$markdown" ]]; then details+=$'\n'"$(head -c 20000 "$markdown")"$'\n'; fi
    fi
  done <<<"$environment_legs"

  existing=$(jq -r --arg m "$marker" --arg bot "$bot" '
    [.[] | select(.pull_request == null and .user.login == $bot and ((.body // "") | startswith($m)))]
    | .[0].number // empty' <<<"$open_issues")

  if ((failing == 0)); then
    if [[ -n "$existing" ]]; then
      gh issue close "$existing" --repo "$REPOSITORY" \
        --comment "Every drill leg of $environment passed in $RUN_URL; closing."$'\n\n'"$lines"
      echo "$environment: closed #$existing"
    else
      echo "$environment: every leg passed, no open issue"
    fi
    continue
  fi

  body_file=$(mktemp)
  # GitHub limits an issue body to 65,536 characters: the reports' heads, and the run for the rest.
  printf '%s\n## DR drill of %s: %d leg(s) failing\n\nRun: %s (full reports in its artifacts)\n\n%s%s' \
    "$marker" "$environment" "$failing" "$RUN_URL" "$lines" "$details" >"$body_file"
  truncate --size='<60000' "$body_file"
  if [[ -n "$existing" ]]; then
    gh issue edit "$existing" --repo "$REPOSITORY" --body-file "$body_file" >/dev/null
    echo "$environment: updated #$existing"
  else
    gh issue create --repo "$REPOSITORY" --label dr-drill --title "DR drill failing: $environment" \
      --body-file "$body_file" >/dev/null
    echo "$environment: opened an issue"
  fi
done <<<"$environments"
