# A pipeline generator written in the Nix language, in the manner of TVL's
# (nix/buildkite): `nix-build` of it writes the pipeline (build-chunk-1.json,
# release-chunk-1.json, drvmap.json) into the out-link, e.g.
#
#   nix-build generator.nix --arg depot 'import ./. {}' --argstr mode lazy -o pipeline
#
# in a depot's checkout; ci/pipeline.yml's own lines then upload it. It
# writes the same labels, keys and commands as lazykite for what it
# covers (targets, extra steps with needsOutput, branches, softFail,
# prompts; no parent map, no fallback build), so a fixture's expectations
# hold for it. `mode` says which one it is:
#   lazy                only .drv paths reach the chunk text (their string
#                       context discarded): a step builds its script when it
#                       runs — the seed's fix; passes every invariant
#   eager               an extra step execs its script's out path, named in
#                       the chunk text with its context: building the
#                       pipeline builds the script and what it uses — the
#                       bug the seed fixed
#   needs-output-eager  a needsOutput step links its parent's out path, named
#                       with its context: building the pipeline builds the
#                       parent
{ depot, mode ? "lazy" }:
let
  inherit (builtins) attrNames baseNameOf concatLists concatStringsSep filter hashString listToAttrs
    map removeAttrs substring toJSON unsafeDiscardStringContext;
  targets = depot.ci.targets;
  labelOf = t: concatStringsSep "/" t.__readTree + (if t ? __subtarget then ":${t.__subtarget}" else "");
  drvOf = d: unsafeDiscardStringContext d.drvPath;
  keyOf = t: "drv-" + substring 0 32 (baseNameOf (drvOf t));
  quote = s: "'" + s + "'";
  realise = d: link: "nix-store --realise ${quote (drvOf d)} --add-root ${quote link} --indirect | xargs -r realpath";
  targetStep = t: {
    label = ":nix: ${labelOf t}";
    key = keyOf t;
    command = "set -o pipefail; (${realise t "result"})";
    depends_on = [ ":init:" ];
    env.READTREE_TARGET = labelOf t;
    skip = false;
    cancel_on_build_failing = false;
  };
  extraOf = t: let es = t.meta.ci.extraSteps or { }; in
    map (name: { inherit name t; s = es.${name}; label = es.${name}.label or name; }) (attrNames es);
  scriptLines = { s, ... }:
    if mode == "eager" then "exec ${s.command}\n"
    else "echo '--- Building extra step script'\n"
      + "command_script=\"$$(${realise s.command "nix-buildkite-extra-step-command-script"})\"\n"
      + "echo '+++ Running extra step script'\nexec \"$$command_script\"\n";
  parentLines = { s, t, ... }:
    if !(s.needsOutput or false) then ""
    else if mode == "needs-output-eager" then "ln -sfn ${t} result\n"
    else "echo '~~~ Preparing build output of ${labelOf t}'\n${realise t "result"}\n";
  extraStep = e:
    let
      step = {
        label = ":gear: ${e.label} (from ${labelOf e.t})";
        key = "extra-step-" + hashString "sha1" "${e.label}-${labelOf e.t}";
        depends_on = if (e.s.needsOutput or false) || (e.s.alwaysRun or false) then [ ] else [ (keyOf e.t) ];
        command = "set -ueo pipefail\n" + parentLines e + scriptLines e;
        soft_fail = e.s.softFail or false;
        skip = false;
      } // (if e.s ? branches then { branches = concatStringsSep " " e.s.branches; } else { });
    in
    if e.s ? prompt then {
      group = step.label;
      depends_on = step.depends_on;
      skip = false;
      steps = [
        { block = ":radio_button: Run ${e.label}? (from ${labelOf e.t})"; prompt = e.s.prompt; branches = step.branches or [ ]; }
        (removeAttrs step [ "depends_on" ])
      ];
    } else step;
  extras = concatLists (map extraOf targets);
  inPhase = p: e: (e.s.phase or "build") == p;
  buildSteps = concatLists (map (t: [ (targetStep t) ] ++ map extraStep (filter (inPhase "build") (extraOf t))) targets);
  releaseSteps = map extraStep (filter (inPhase "release") extras);
  drvmap = listToAttrs (map (t: {
    name = labelOf t;
    value = { drvPath = drvOf t; attrPath = t.__readTree ++ (if t ? __subtarget then [ t.__subtarget ] else [ ]); };
  }) targets);
in
derivation {
  name = "pipeline";
  system = builtins.currentSystem;
  builder = "/bin/sh";
  PATH = "/usr/bin:/bin";
  buildChunk = toJSON { steps = buildSteps; };
  releaseChunk = toJSON { steps = releaseSteps; };
  drvmap = toJSON drvmap;
  hasRelease = if releaseSteps == [ ] then "" else "1";
  passAsFile = [ "buildChunk" "releaseChunk" "drvmap" ];
  args = [ "-c" ''
    mkdir $out
    cp $buildChunkPath $out/build-chunk-1.json
    cp $drvmapPath $out/drvmap.json
    if [ -n "$hasRelease" ]; then cp $releaseChunkPath $out/release-chunk-1.json; fi
  '' ];
}
