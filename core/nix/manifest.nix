# manifest.nix — the target manifest of a readTree-style depot (DESIGN §3).
#
# Called as
#   nix-instantiate --eval --strict --json --read-write-mode manifest.nix \
#     --arg depot /abs/path/to/depot --argstr targetsAttr ci.targets \
#     [--arg shard I --arg shards N]
#
# `depot` is the depot directory or the depot attribute set itself. A
# directory is imported; when that gives a function (a readTree depot's
# `{ ... }: …`), it is called with every other argument given to this file
# (`--arg NAME EXPR` / `--argstr NAME VALUE` of `lazykite generate --eval`),
# none by default. `targetsAttr` is the dot-separated attribute path of
# the target list (default `ci.targets`); every element is a derivation with
# `__readTree` (list of strings), optionally `__subtarget` and `meta`. The
# pipeline settings come from the depot's `ci.pipeline` attribute set, if any.
# A target's `attrPath` is its `__readTree` alone; its `__subtarget` is
# `subtarget` (the core appends it to the label and the attribute path).
#
# Shards (`lazykite generate --eval-workers`): with `shards` N (an integer
# from 1) and `shard` I (0 <= I < N), `targets` holds only the targets whose
# index in the list is I modulo N, in list order, and only those are
# evaluated: the list itself is forced (its length), no other element.
# Before them, one line goes to standard error through builtins.trace:
#   trace: lazykite-shard {"count":K,"shard":I,"shards":N,"total":T}
# (K targets in this shard, T in the list; when K is 1 also "target":
# {"index":…, "attrPath":[…], "subtarget":…} naming it), which lazykite reads
# and does not show. The shards' `targets`, interleaved back in index order,
# are the unsharded `targets`; `version` and `pipeline` are the same in each.
#
# Contract: the result is plain JSON data. Every store path in it has its
# string context discarded, so evaluating it writes the `.drv` files (in
# read-write mode) but realises nothing: not the targets, not the extra-step
# commands, not the overridden parents. Only the fields §3 names (and
# `meta.timeout`) are kept; functions are dropped, paths become strings,
# derivations inside free-form values become their (unbuilt) out paths.
{ depot, targetsAttr ? "ci.targets", shard ? 0, shards ? null, ... }@args:

let
  inherit (builtins)
    attrNames concatMap filter foldl' getAttr hasAttr isAttrs isFunction
    isInt isList isString length listToAttrs map split toJSON trace typeOf
    unsafeDiscardStringContext unsafeDiscardOutputDependency;

  tree =
    if isAttrs depot then depot
    else
      let imported = import depot; in
      if isFunction imported
      then imported (removeAttrs args [ "depot" "targetsAttr" "shard" "shards" ])
      else imported;

  attrPathOf = s: filter isString (split "\\." s);

  lookup = path: root:
    foldl'
      (acc: name:
        if isAttrs acc.value && hasAttr name acc.value
        then { value = getAttr name acc.value; seen = acc.seen ++ [ name ]; }
        else throw "lazykite manifest: the depot has no attribute '${builtins.concatStringsSep "." (acc.seen ++ [ name ])}' (looking up targetsAttr '${targetsAttr}')")
      { value = root; seen = [ ]; }
      path;

  isDerivation = v: isAttrs v && (v.type or null) == "derivation";

  # The .drv path of a derivation as a plain string (no build, no context).
  drvPathOf = drv: unsafeDiscardStringContext (unsafeDiscardOutputDependency drv.drvPath);

  # Any value as JSON data: functions dropped, paths as strings (not copied
  # to the store), derivations as their out paths (not built), strings
  # without context.
  plain = v:
    let t = typeOf v; in
    if t == "lambda" || t == "primop" || t == "primop-app" then null
    else if t == "path" then toString v
    else if t == "string" then unsafeDiscardStringContext v
    else if isDerivation v then unsafeDiscardStringContext v.outPath
    else if t == "set" then
      listToAttrs (concatMap
        (n: let x = getAttr n v; in
          if isFunction x then [ ] else [{ name = n; value = plain x; }])
        (attrNames v))
    else if t == "list" then map plain (filter (x: !isFunction x) v)
    else v;

  # Keep the attributes of `set` named in `names` (when present), converted.
  pick = names: set:
    listToAttrs (concatMap
      (n: if hasAttr n set then [{ name = n; value = plain (getAttr n set); }] else [ ])
      names);

  targetLabel = t:
    builtins.concatStringsSep "/" t.__readTree
    + (if t ? __subtarget then ":${t.__subtarget}" else "");

  extraStep = target: name: step:
    let
      where = "meta.ci.extraSteps.${name} of ${targetLabel target}";
      command =
        if step ? command && isDerivation step.command then step.command
        else throw "lazykite manifest: ${where}: 'command' must be a derivation";
    in
    pick [ "label" "needsOutput" "branches" "alwaysRun" "prompt" "softFail" "phase" "skip" "agents" ] step
    // {
      command = {
        drvPath = drvPathOf command;
        outputs = command.outputs or [ "out" ];
      };
    }
    // (if step ? parentOverride then {
      parentOverride =
        if isFunction step.parentOverride
        then { drvPath = drvPathOf (step.parentOverride target); }
        else throw "lazykite manifest: ${where}: 'parentOverride' must be a function";
    } else { });

  ciMeta = target: ci:
    pick [ "buildkiteExtraDeps" "buildkiteExtraStepArgs" "postBuild" ] ci
    // (if ci ? extraSteps && isAttrs ci.extraSteps then {
      extraSteps = listToAttrs (map
        (n: { name = n; value = extraStep target n (getAttr n ci.extraSteps); })
        (attrNames ci.extraSteps));
    } else { });

  targetMeta = target:
    let meta = target.meta or { }; in
    (if meta ? timeout && typeOf meta.timeout == "int" then { inherit (meta) timeout; } else { })
    // (if meta ? ci && isAttrs meta.ci then { ci = ciMeta target meta.ci; } else { });

  manifestTarget = index: target:
    if !(isAttrs target && target ? __readTree && isList target.__readTree) then
      throw "lazykite manifest: ${targetsAttr}[${toString index}] has no __readTree list (not a readTree target)"
    else if !(isDerivation target) then
      throw "lazykite manifest: ${targetsAttr}[${toString index}] (${targetLabel target}) is not a derivation"
    else
      {
        attrPath = target.__readTree;
        drvPath = drvPathOf target;
        outputs = target.outputs or [ "out" ];
        meta = targetMeta target;
      }
      // (if target ? __subtarget then { subtarget = target.__subtarget; } else { });

  targets = (lookup (attrPathOf targetsAttr) tree).value;

  # The targets of this shard: indices shard, shard + shards, … (all of
  # them unsharded), each evaluated only here.
  total = length targets;
  step = if shards == null then 1 else shards;
  count = if shards == null then total else (total - shard + shards - 1) / shards;
  indexOf = k: shard + k * step;
  evaluated = builtins.genList (k: manifestTarget (indexOf k) (builtins.elemAt targets (indexOf k))) count;

  # What lazykite reads before the targets are evaluated (a shard of one
  # target names it, should its evaluation exceed lazykite's memory bound).
  named = t:
    (if isList (t.__readTree or null) && builtins.all isString t.__readTree
     then { attrPath = t.__readTree; } else { })
    // (if isString (t.__subtarget or null) then { subtarget = t.__subtarget; } else { });
  shardInfo = { inherit count shard shards total; }
    // (if count == 1 then {
      target = { index = indexOf 0; } // (let t = builtins.elemAt targets (indexOf 0); in
        if isAttrs t then named t else { });
    } else { });

  pipeline =
    if tree ? ci && isAttrs tree.ci && tree.ci ? pipeline && isAttrs tree.ci.pipeline
    then pick [ "headBranch" "phases" "activePhases" "cancelOnBuildFailing" "additionalSteps"
                "postBuildSteps" "defaultStepOverrides" ] tree.ci.pipeline
    else { };
in
if shards != null && !(isInt shards && isInt shard && shards >= 1 && shard >= 0 && shard < shards) then
  throw "lazykite manifest: 'shard' and 'shards' must be integers with 0 <= shard < shards"
else if !(isList targets) then
  throw "lazykite manifest: '${targetsAttr}' is not a list of targets"
else
  {
    version = 1;
    inherit pipeline;
    targets = if shards == null then evaluated
      else trace "lazykite-shard ${toJSON shardInfo}" evaluated;
  }
