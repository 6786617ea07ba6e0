# A small readTree-style depot over builtins.derivation, for the real-Nix
# test of `lazykite generate --eval` (tests/realnix-depot/run).
#
# `import ./. {}` is the attribute tree; `ci.targets` is the target list that
# readTree's gather would produce (`__readTree` set by hand). Every
# derivation carries the nonce from $LAZYKITE_TEST_NONCE, so each test run
# has store paths that were never built before.
{ ... }:

let
  nonce = builtins.getEnv "LAZYKITE_TEST_NONCE";

  mk = name: script: builtins.derivation {
    inherit name;
    system = builtins.currentSystem;
    builder = "/bin/sh";
    args = [ "-c" script ];
    PATH = "/usr/bin:/bin";
    LAZYKITE_TEST_NONCE = nonce;
  };

  at = path: drv: drv // { __readTree = path; };

  lib.base = at [ "lib" "base" ] (mk "base" "mkdir -p $out; echo base > $out/base");

  # An expensive target: other targets' extra steps use it.
  tools.expensive = at [ "tools" "expensive" ] (mk "expensive" ''
    mkdir -p $out/bin
    cat ${lib.base}/base > $out/data
    printf '#!/bin/sh\necho expensive\n' > $out/bin/expensive
    chmod +x $out/bin/expensive
  '');

  tools.deployer = at [ "tools" "deployer" ] (mk "deployer" ''
    mkdir -p $out/bin
    printf '#!/bin/sh\necho deployed\n' > $out/bin/deploy
    chmod +x $out/bin/deploy
  '');

  script = name: text: mk name "printf '%s\\n' '#!/bin/sh' '${text}' > $out; chmod +x $out";

  siteSteps = {
    # build phase; the script refers to the expensive target's output
    check = {
      command = script "site-check" "exec ${tools.expensive}/bin/expensive";
    };
    # needsOutput: the parent is built inside the step
    inspect = {
      label = "Inspect the site";
      needsOutput = true;
      command = script "site-inspect" "ls result";
    };
    # release phase, gated by a prompt, only on the head branch
    deploy = {
      phase = "release";
      prompt = "Deploy the site?";
      branches = [ "refs/heads/canon" ];
      command = script "site-deploy" "exec ${tools.deployer}/bin/deploy";
    };
    # needsOutput with the parent overridden
    bundle = {
      phase = "release";
      needsOutput = true;
      parentOverride = site: mk "site-bundle" "mkdir -p $out; cp -r ${site} $out/site";
      command = script "site-bundle-script" "ls result/site";
      softFail = true;
    };
  };

  web.site = at [ "web" "site" ] (mk "site" "mkdir -p $out; echo site > $out/index.html") // {
    docs = mk "site-docs" "mkdir -p $out; echo docs > $out/docs.html";
    meta = {
      timeout = 1800;
      description = "not part of the manifest";
      ci.extraSteps = siteSteps;
      ci.targets = [ "docs" ];
    };
  };

  subtarget = parent: name: (parent.${name}) // {
    __readTree = parent.__readTree;
    __subtarget = name;
  };
in
{
  inherit lib tools web;
  ci.targets = [
    lib.base
    tools.expensive
    tools.deployer
    web.site
    (subtarget web.site "docs")
  ];
  ci.pipeline = {
    headBranch = "refs/heads/canon";
  };
}
