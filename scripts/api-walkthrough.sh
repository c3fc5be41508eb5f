#!/usr/bin/env bash
# An integration with the Equimentor API from end to end, with curl and jq (issue #20):
#
#   1. a scheme service token for a coordinator (`equimentor token create ... --scheme`);
#   2. two people imported as invited (a mentee and a mentor);
#   3. each accepts her place with her consents (her own personal token), which approves her;
#      the coordinator reads each registration with its ETag;
#   4. a matching round opened; the mentee ranks the mentor (If-Match with her choices' ETag);
#   5. choices closed, a dry run, the pairs read, the round published: each a 202 with a task,
#      polled at tasks/<id>/ until it has succeeded;
#   6. the funnel read from the scheme's report.
#
# Usage:  scripts/api-walkthrough.sh BASE_URL
#   e.g.  SCHEME=horizons COORDINATOR=coordinator@example.ac.uk \
#         INSTITUTION="University of Exampleton" scripts/api-walkthrough.sh http://127.0.0.1:8000
#
# Environment:
#   SCHEME        the scheme's slug (default: horizons)
#   COORDINATOR   the address of one of its coordinators (default: coordinator@example.org)
#   INSTITUTION   a listed institution's name (or another name it goes by), for both people
#   MENTOR_INSTITUTION  the mentor's, if the scheme pairs people at different institutions
#   MENTEE_EMAIL, MENTOR_EMAIL  the two people (default: walkthrough-mentee@ / -mentor@example.org)
#   EQUIMENTOR    how to run the project's command (default: equimentor), for `token create`:
#                 it runs where the server's database and settings are
#
# Needs a running server (its worker too, if tasks are not run in the web process), curl, jq
# and the token command. Every step is printed; the first failure stops it with a non-zero
# exit status and the API's answer (a problem document). A round already in progress in the
# scheme is a failure (409): the API opens one round at a time.
set -euo pipefail

BASE_URL="${1:-${BASE_URL:-}}"
if [ -z "$BASE_URL" ]; then
  echo "usage: $0 BASE_URL   (e.g. http://127.0.0.1:8000)" >&2
  exit 2
fi
BASE_URL="${BASE_URL%/}"
SCHEME="${SCHEME:-horizons}"
COORDINATOR="${COORDINATOR:-coordinator@example.org}"
INSTITUTION="${INSTITUTION:-University of Exampleton}"
MENTOR_INSTITUTION="${MENTOR_INSTITUTION:-$INSTITUTION}"
MENTEE_EMAIL="${MENTEE_EMAIL:-walkthrough-mentee@example.org}"
MENTOR_EMAIL="${MENTOR_EMAIL:-walkthrough-mentor@example.org}"
read -r -a EQUIMENTOR_CMD <<<"${EQUIMENTOR:-equimentor}"
API="$BASE_URL/api/v1"
POLL_SECONDS="${POLL_SECONDS:-60}"

for tool in curl jq; do
  command -v "$tool" >/dev/null || { echo "This script needs $tool." >&2; exit 2; }
done

step() { printf '\n== %s\n' "$*"; }
say() { printf '   %s\n' "$*"; }
fail() { printf '\nFAILED: %s\n' "$*" >&2; exit 1; }

HEADERS="$(mktemp)"
trap 'rm -f "$HEADERS"' EXIT

# call TOKEN METHOD URL [BODY [EXTRA CURL ARGS...]]: the answer's body on standard output, its
# headers in $HEADERS; an error status prints the problem document and stops the script.
call() {
  local token="$1" method="$2" url="$3" body="${4:-}"
  shift $(($# < 4 ? $# : 4))
  local args=(--silent --show-error --fail-with-body --dump-header "$HEADERS"
    -X "$method" -H "Accept: application/json")
  if [ -n "$token" ]; then args+=(-H "Authorization: Bearer $token"); fi
  if [ -n "$body" ]; then args+=(-H "Content-Type: application/json" --data "$body"); fi
  local answer
  if ! answer="$(curl "${args[@]}" "$@" "$url")"; then
    printf '   %s %s answered:\n%s\n' "$method" "$url" "$answer" >&2
    fail "$method $url"
  fi
  printf '%s' "$answer"
}

header() { # the value of a header of the last answer
  grep -i "^$1:" "$HEADERS" | tail -1 | cut -d: -f2- | tr -d '\r' | sed 's/^ *//'
}

status_line() { head -1 "$HEADERS" | tr -d '\r'; }

key() { # a new Idempotency-Key
  cat /proc/sys/kernel/random/uuid 2>/dev/null || date +%s%N
}

token_for() { # EMAIL [token create options...]: a new token, printed once by the command
  local email="$1"
  shift
  "${EQUIMENTOR_CMD[@]}" token create "$email" --days 1 --name "API walkthrough" "$@" ||
    fail "could not make a token for $email"
}

# wait_for_task TOKEN TASK_URL: poll until the task has succeeded (or stop if it failed)
wait_for_task() {
  local token="$1" url="$2" task state deadline=$((SECONDS + POLL_SECONDS))
  while :; do
    task="$(call "$token" GET "$url")"
    state="$(jq -r .status <<<"$task")"
    case "$state" in
      succeeded) say "task $(jq -r '.id' <<<"$task") succeeded: $(jq -c .result <<<"$task")"; return ;;
      failed) fail "task $(jq -r '.kind' <<<"$task") failed: $(jq -r .error <<<"$task")" ;;
    esac
    [ "$SECONDS" -lt "$deadline" ] || fail "task still $state after ${POLL_SECONDS}s: is a worker running?"
    say "task is $state; asking again in 1 s"
    sleep 1
  done
}

# run_task TOKEN PATH BODY LABEL: POST a long operation, expect 202 and a task, wait for it
run_task() {
  local token="$1" path="$2" body="$3" label="$4" task
  task="$(call "$token" POST "$API/schemes/$SCHEME/$path" "$body" -H "Idempotency-Key: $(key)")"
  case "$(status_line)" in *" 202"*) ;; *) fail "$label: expected 202 Accepted, got $(status_line)" ;; esac
  say "$label: 202 Accepted, task $(jq -r .id <<<"$task") at $(header Location)"
  wait_for_task "$token" "$(jq -r .url <<<"$task")"
}

step "The server at $BASE_URL answers"
PUBLIC="$(call "" GET "$API/schemes/$SCHEME/")"
say "scheme $SCHEME: $(jq -r .name <<<"$PUBLIC")"

step "A service token of $SCHEME for its coordinator $COORDINATOR"
COORD="$(token_for "$COORDINATOR" --scheme "$SCHEME" \
  --scope registrations:read --scope registrations:write \
  --scope matching:read --scope matching:write --scope reports:read)"
say "token $(cut -d_ -f1-2 <<<"$COORD")_... (printed once by the command; kept in memory here)"

step "Import two people as invited"
PEOPLE="$(jq -n --arg mentee "$MENTEE_EMAIL" --arg mentor "$MENTOR_EMAIL" \
  --arg inst "$INSTITUTION" --arg minst "$MENTOR_INSTITUTION" '{invite: false, participants: [
    {email: $mentee, full_name: "Walkthrough Mentee", role: "mentee", institution: $inst,
     pathway: "non-clinical", department: "Public Health",
     research_interests: "maternal health"},
    {email: $mentor, full_name: "Walkthrough Mentor", role: "mentor", institution: $minst,
     pathway: "clinical", department: "Obstetrics", research_interests: "maternal health",
     mentor_capacity: 1}]}')"
IMPORTED="$(call "$COORD" POST "$API/schemes/$SCHEME/participants/import/" "$PEOPLE" \
  -H "Idempotency-Key: $(key)")"
say "$(jq -r '"created \(.created), already there \(.unchanged), emailed \(.invited)"' <<<"$IMPORTED")"

# accept EMAIL ROLE_FIELDS_JSON: the person reads her invitation and accepts with her consents
accept() {
  local email="$1" fields="$2" mine invitation body answer
  mine="$(token_for "$email" --scope registrations:read --scope registrations:write \
    --scope directory:read --scope directory:write --scope matching:read)"
  invitation="$(call "$mine" GET "$API/me/schemes/$SCHEME/invitation/")"
  say "$email: $(jq -r .participation.status <<<"$invitation"); asked to consent to:"
  jq -r '.consents[] | "     - \(.purpose) (\(if .required then "required" else "optional" end)): \(.document.title) v\(.document.version)"' <<<"$invitation"
  body="$(jq --argjson fields "$fields" '$fields + {
      consents: ([.consents[] | {key: .purpose, value: true}] | from_entries),
      documents: ([.consents[] | {key: .document.kind, value: .document.id}] | from_entries)}' \
    <<<"$invitation")"
  if [ "$(jq -r .participation.status <<<"$invitation")" = "invited" ]; then
    answer="$(call "$mine" POST "$API/me/schemes/$SCHEME/invitation/accept/" "$body" \
      -H "Idempotency-Key: $(key)")"
    say "$email accepted: now $(jq -r .status <<<"$answer")"
  fi
  printf '%s' "$mine" >"$TOKENS/$email.token"
  jq -r .participation.id <<<"$invitation" >"$TOKENS/$email.id"
}
TOKENS="$(mktemp -d)"
trap 'rm -f "$HEADERS"; rm -rf "$TOKENS"' EXIT

step "Each accepts her place with her consents (which approves someone imported)"
accept "$MENTEE_EMAIL" '{"job_title": "Lecturer", "career_stage": 0,
  "career_summary": "Five years in public health research.", "meeting_mode": "virtual",
  "seeks": "Advice on a fellowship application."}'
accept "$MENTOR_EMAIL" '{"job_title": "Professor", "career_stage": 3,
  "career_summary": "Twenty years in obstetrics.", "meeting_mode": "virtual",
  "offers": "Fellowship and grant applications."}'
MENTEE_TOKEN="$(cat "$TOKENS/$MENTEE_EMAIL.token")"

step "The coordinator reads both registrations, each with its ETag"
for email in "$MENTEE_EMAIL" "$MENTOR_EMAIL"; do
  id="$(cat "$TOKENS/$email.id")"
  registration="$(call "$COORD" GET "$API/schemes/$SCHEME/registrations/$id/")"
  tag="$(header ETag)"
  status="$(jq -r .status <<<"$registration")"
  say "$email: registration $id, $status, as $(jq -r .role <<<"$registration"), ETag $tag"
  [ "$status" = "approved" ] || fail "$email is $status, not approved"
  call "$COORD" GET "$API/schemes/$SCHEME/registrations/$id/" "" -H "If-None-Match: $tag" >/dev/null
  say "  read again with If-None-Match: $(status_line | cut -d' ' -f2-) (unchanged since)"
done

step "Open a matching round"
ROUND="$(call "$COORD" POST "$API/schemes/$SCHEME/matching-rounds/" '{"name": "API walkthrough"}')"
ROUND_ID="$(jq -r .id <<<"$ROUND")"
say "round $ROUND_ID \"$(jq -r .name <<<"$ROUND")\" is $(jq -r .status <<<"$ROUND")"

step "The mentee ranks the mentor (If-Match with her choices' ETag)"
MENTOR_ID="$(call "$MENTEE_TOKEN" GET "$API/schemes/$SCHEME/mentors/?page_size=200" |
  jq -r '[.results[] | select(.name == "Walkthrough Mentor") | .id] | first // empty')"
[ -n "$MENTOR_ID" ] || fail "the mentor is not in the directory"
say "the directory lists Walkthrough Mentor as mentor $MENTOR_ID"
call "$MENTEE_TOKEN" GET "$API/me/schemes/$SCHEME/choices/" >/dev/null
CHOICES_TAG="$(header ETag)"
CHOSEN="$(call "$MENTEE_TOKEN" PUT "$API/me/schemes/$SCHEME/choices/" \
  "$(jq -n --argjson m "$MENTOR_ID" '{choices: [{mentor: $m, note: "Shared research interests."}]}')" \
  -H "If-Match: $CHOICES_TAG")"
say "her choices: $(jq -c '[.choices[] | {rank, mentor_name}]' <<<"$CHOSEN")"

step "Close choices (the first dry run)"
run_task "$COORD" "matching-rounds/$ROUND_ID/close-choices/" '{}' "close choices"

step "Dry run"
run_task "$COORD" "matching-rounds/$ROUND_ID/dry-run/" '{"stable_only": false}' "dry run"
RUN="$(call "$COORD" GET "$API/schemes/$SCHEME/matching-rounds/$ROUND_ID/")"
say "latest run: $(jq -c '.latest_run | {mentees, matched, first_choice}' <<<"$RUN")"
PAIRS="$(call "$COORD" GET "$API/schemes/$SCHEME/matching-rounds/$ROUND_ID/pairs/")"
jq -r '.results[] | "   pair: mentee \(.mentee) with mentor \(.mentor) (\(.via)): \(.reasons | join("; "))"' <<<"$PAIRS"

step "Publish the round (proposals emailed to both sides)"
run_task "$COORD" "matching-rounds/$ROUND_ID/publish/" '{}' "publish"
ROUND="$(call "$COORD" GET "$API/schemes/$SCHEME/matching-rounds/$ROUND_ID/")"
say "round $ROUND_ID is $(jq -r .status <<<"$ROUND") (published at $(jq -r .published_at <<<"$ROUND"))"
[ "$(jq -r .status <<<"$ROUND")" = "published" ] || fail "the round is not published"

step "The funnel (the scheme's report, small numbers withheld as on the pages)"
REPORT="$(call "$COORD" GET "$API/schemes/$SCHEME/reports/")"
FUNNEL="$(jq '[.tables[] | select(.title | test("funnel"; "i"))] | first' <<<"$REPORT")"
[ "$FUNNEL" != "null" ] || fail "the report has no funnel table"
say "$(jq -r .title <<<"$FUNNEL")"
jq -r '.columns | "     " + join(" | ")' <<<"$FUNNEL"
jq -r '.rows[] | "     " + (map(tostring) | join(" | "))' <<<"$FUNNEL"

printf '\nThe walkthrough finished: two people approved, round %s published.\n' "$ROUND_ID"
