# The example depot behind ci/example/manifest.json: its .drv files (copied
# from `nix-instantiate -A <attr>` of this file) are in ci/example/store/.
{ ... }:
let
  mk = name: deps: derivation {
    inherit name;
    system = "x86_64-linux";
    builder = "/bin/sh";
    args = [ "-c" "echo ${name} ${toString deps} > $out" ];
  };
  lib-util = mk "util" [];
  hello = mk "hello" [ lib-util ];
  site = mk "site" [ hello ];
  docs = mk "site-docs" [ site ];
  deployer = mk "deployer" [ hello ];
  script = n: mk "${n}-script" [];
  siteWithFlags = mk "site-with-flags" [ hello ];
in {
  tools.hello = hello;
  web.site = site // { docs = docs; meta.ci.extraSteps = {
    deploy = { command = script "deploy"; };
    check = { command = script "check"; };
    publish = { command = script "publish"; parentOverride = _: siteWithFlags; };
  }; };
  ops.deployer = deployer // { meta.ci.extraSteps.release = { command = script "release"; }; };
  siteWithFlags = siteWithFlags;
}
