# Preconditions the deploy and release scripts check BEFORE any side effect (sourced; needs die() from the script):
# the tools are on PATH, pulumi is logged in, the stack exists in the backend. Every pulumi call reads /dev/null:
# without a terminal pulumi never prompts, and a missing stack is an error instead of an offer to create it with
# the backend's default secrets provider (docs/deploy-lifecycle.md, facts 20 and 21).

# require_tools <tool>...: each on PATH, else one line naming it and where it comes from.
require_tools() {
  local t hint
  for t in "$@"; do
    command -v "$t" >/dev/null 2>&1 && continue
    case "$t" in
      pulumi) hint="https://www.pulumi.com/docs/iac/download-install/" ;;
      gcloud) hint="https://cloud.google.com/sdk/docs/install" ;;
      docker) hint="https://docs.docker.com/engine/install/" ;;
      skopeo) hint="https://github.com/containers/skopeo/blob/main/install.md" ;;
      node) hint="Node 22, README Prerequisites" ;;
      *) hint="install it" ;;
    esac
    die "$t is not on PATH ($hint)"
  done
}

# require_pulumi_login: `pulumi whoami` answers (https://www.pulumi.com/docs/iac/cli/commands/pulumi_whoami/).
require_pulumi_login() {
  pulumi whoami </dev/null >/dev/null 2>&1 ||
    die "pulumi is not logged in to the state backend: pulumi login gs://<state bucket> (the bootstrap's stateBackend output, README Bootstrap)"
}

# require_stack <stack>: the stack is in `pulumi stack ls --json` (a DIY backend may name it organization/<project>/<stack>).
require_stack() {
  local stacks
  stacks="$(pulumi stack ls --json </dev/null 2>/dev/null)" || die "pulumi stack ls failed: check pulumi login"
  printf '%s' "$stacks" | node -e '
    let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
      const want = process.argv[1];
      let names = [];
      try { names = JSON.parse(s || "[]").map((x) => String(x.name)); } catch { process.exit(1); }
      process.exit(names.some((n) => n === want || n.endsWith(`/${want}`)) ? 0 : 1);
    });' "$1" ||
    die "no stack '$1' in this backend: pulumi stack init $1 --secrets-provider <the bootstrap's secretsProvider output>, then commit Pulumi.$1.yaml (README Bootstrap)"
}
