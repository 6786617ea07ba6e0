# A minimal depot for lazykite: copy it, then replace the derivations.
#
#   lazykite generate --eval ci/example -o pipeline
#
# What lazykite reads from a depot (`import ./. {}`; core/nix/manifest.nix
# turns it into the target manifest, core/README.md describes every field):
#   ci.targets   the list of derivations that get a `:nix:` build step, in
#                readTree order. Each carries `__readTree`, its attribute
#                path as a list of strings (the step's label, `web/site`),
#                and a subtarget also `__subtarget`, its attribute name
#                (label `web/site:tarball`).
#   meta         on a target: `timeout` (seconds; `timeout_in_minutes`) and
#                `ci`: `extraSteps` (steps that run a script of their own),
#                `buildkiteExtraDeps`, `postBuild`, `buildkiteExtraStepArgs`.
#   ci.pipeline  pipeline settings: headBranch, phases, activePhases,
#                cancelOnBuildFailing, additionalSteps, postBuildSteps,
#                defaultStepOverrides.
# Evaluation only writes .drv files. No target, no extra step's script and
# nothing a script uses is built until a step that needs it runs. The steps
# leave the links `result` and `nix-buildkite-extra-step-command-script` in
# the checkout (.gitignore covers them).
#
# No nixpkgs here: every derivation is builtins.derivation run by /bin/sh,
# with the machine's /usr/bin on PATH. A real depot uses readTree and
# nixpkgs; `readTree` and `gather` below do the little of their work that
# lazykite relies on.
{ ... }:
let
  # A derivation built by a shell script.
  mk = name: script: derivation {
    inherit name;
    system = builtins.currentSystem;
    builder = "/bin/sh";
    args = [ "-c" script ];
    PATH = "/usr/bin:/bin";
  };

  # An executable script (an extra step's `command`: the step builds it and
  # runs it in the checkout, with the target's output at `result` when the
  # step has `needsOutput`). `text` holds no single quote.
  script = name: text: mk name ''
    printf '#!/bin/sh\nset -eu\n%s\n' '${text}' > $out
    chmod +x $out
  '';

  isDerivation = v: builtins.isAttrs v && v.type or null == "derivation";

  # Marks every node of the tree with its path (`__readTree`), as readTree
  # does for every directory of a depot.
  readTree = path: node:
    if !builtins.isAttrs node then node
    else if isDerivation node then node // { __readTree = path; }
    else builtins.mapAttrs (name: readTree (path ++ [ name ])) node // { __readTree = path; };

  # The targets: every derivation of the tree, in attribute-name order, each
  # followed by the subtargets it names in `meta.ci.targets`.
  gather = node:
    if isDerivation node then
      [ node ] ++ map (sub: node.${sub} // { __readTree = node.__readTree; __subtarget = sub; })
        (node.meta.ci.targets or [ ])
    else if builtins.isAttrs node then
      builtins.concatMap (name: gather node.${name})
        (builtins.filter (name: name != "__readTree") (builtins.attrNames node))
    else [ ];

  # A site, with or without its draft pages.
  site = { drafts }: mk (if drafts then "site-drafts" else "site") ''
    mkdir $out
    echo '<a href="about.html">about</a>' > $out/index.html
    echo '<p>about</p>' > $out/about.html
    ${if drafts then "echo '<p>draft</p>' > $out/draft.html" else ""}
  '';

  depot = readTree [ ] {
    tools = {
      # Stands for an expensive build: only the steps that deploy need it.
      deployer = mk "deployer" ''
        mkdir -p $out/bin
        cat > $out/bin/deploy <<'EOF'
        #!/bin/sh
        echo "deploying to $1:"
        ls "$2"
        EOF
        chmod +x $out/bin/deploy
      '';
      # linkcheck DIR: every href in DIR/*.html names a file in DIR.
      linkcheck = mk "linkcheck" ''
        mkdir -p $out/bin
        cat > $out/bin/linkcheck <<'EOF'
        #!/bin/sh
        cd "$1"
        for l in $(grep -oh 'href="[^"]*"' *.html | cut -d'"' -f2); do
          test -e "$l" || { echo "broken link: $l"; exit 1; }
        done
        echo links ok
        EOF
        chmod +x $out/bin/linkcheck
      '';
    };

    web.site = site { drafts = false; } // {
      # `meta.ci.targets` names the subtargets, attributes of this target
      # that get a build step of their own (read by `gather`).
      tarball = mk "site.tar" "tar -C ${depot.web.site} -cf $out .";
      withDrafts = site { drafts = true; }; # the preview step's `result`
      meta = {
        timeout = 1200; # seconds: `timeout_in_minutes: 20`
        ci.targets = [ "tarball" ];
        ci.extraSteps = {
          # Build phase (the default). With `needsOutput` the step builds
          # the target itself and finds its output at `result`. The script,
          # and linkcheck with it, is built by this step, not before.
          check = {
            command = script "site-check" "${depot.tools.linkcheck}/bin/linkcheck result";
            needsOutput = true;
          };
          # Release phase: uploaded once the build passed
          # (ci/pipeline.yml); runs on main only, after someone
          # answers the prompt.
          deploy = {
            label = "Deploy";
            command = script "site-deploy" "${depot.tools.deployer}/bin/deploy production result";
            phase = "release";
            needsOutput = true;
            prompt = "Deploy the site?";
            branches = [ "refs/heads/main" ];
          };
          # `result` is another derivation than the target: the function
          # `parentOverride`, given the target, returns it. A soft failure
          # does not fail the build.
          preview = {
            command = script "site-preview" "${depot.tools.deployer}/bin/deploy preview result";
            needsOutput = true;
            parentOverride = target: target.withDrafts;
            softFail = true;
          };
        };
      };
    };
  };
in
depot // {
  ci = {
    targets = gather depot;
    pipeline = {
      headBranch = "refs/heads/main"; # the depot's main branch
    };
  };
}
