# Derivations for the real-Nix differential test of core/drv and
# core/storepath (tests/realnix-drv/run). Every attribute is a derivation
# built on builtins.derivation with a /bin/sh builder; nothing is built,
# only instantiated. The attribute names say what each one covers.
let
  system = builtins.currentSystem;
  mk = name: script: extra: builtins.derivation ({
    inherit name system;
    builder = "/bin/sh";
    args = [ "-c" script ];
    PATH = "/usr/bin:/bin";
  } // extra);

  plain = mk "plain" "echo plain > $out" { };

  chain1 = mk "chain1" "echo 1 > $out" { };
  chain2 = mk "chain2" "cat ${chain1} > $out" { };
  chain3 = mk "chain3" "cat ${chain2} > $out" { };

  base = mk "base" "echo base > $out" { };
  left = mk "left" "cat ${base} > $out" { };
  right = mk "right" "cat ${base} > $out; echo r >> $out" { };
  diamond = mk "diamond" "cat ${left} ${right} > $out" { };

  multi = mk "multi" "echo o > $out; echo d > $dev; echo l > $lib" {
    outputs = [ "out" "dev" "lib" ];
  };
  multiUser = mk "multi-user" "cat ${multi.dev} ${multi.lib} > $out" { };
  multiAll = mk "multi-all" "cat ${multi} ${multi.dev} > $out" { dep = multi.lib; };

  escapes = mk "escapes"
    "printf '%s\\n' \"quote\\\" backslash\\\\ dollar-brace\${HOME} tab\tcr\rnl\n\" > $out"
    {
      quote = "a\"b";
      backslash = "a\\b\\\\c";
      dollarBrace = "\${not interpolated} $plain $${x}";
      newline = "line1\nline2\n";
      tab = "a\tb";
      cr = "a\rb\r\n";
      unicode = "é ✓ 🚀 ünïcödé ∀x∈ℝ";
      everything = "\"\\\n\t\r\${}'`$";
      multiLine = ''
        two-space indented
          ${"$"}{still literal} ''${escaped-interpolation} '''triple
      '';
      "odd key" = "v";
      "key=with=equals" = "x";
      "" = "empty key";
      empty = "";
    };

  oddPlus = mk "a+b" "echo > $out" { };
  oddEq = mk "x=y" "echo > $out" { };
  oddQ = mk "what?" "echo > $out" { };
  oddDots = mk ".dot.name." "echo > $out" { };
  oddDash = mk "-dash-" "echo > $out" { };
  oddAll = mk "_+=?.-" "cat ${oddPlus} ${oddEq} ${oddQ} ${oddDots} ${oddDash} > $out" { };
  oddMulti = mk "odd-multi+1" "echo > $out; echo > $bin" { outputs = [ "bin" "out" ]; };

  fixedFlat = mk "fixed-flat" "echo hello > $out" {
    outputHashMode = "flat";
    outputHashAlgo = "sha256";
    outputHash = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03";
  };
  fixedRec = mk "fixed-rec" "echo hello > $out" {
    outputHashMode = "recursive";
    outputHashAlgo = "sha256";
    outputHash = "0ndgbnmb3lr1bvmb2nry7a45am6vjgbk8g2hw2d0l40dbw1bkqw0";
  };
  fixedSri = mk "fixed-sri" "echo hello > $out" {
    outputHash = "sha256-WJG1tSLV3whtD/CxEPvZ0hu0/HFjrzTQgoai6Eb2vgM=";
  };
  fixedSha1 = mk "fixed-sha1" "echo hello > $out" {
    outputHashAlgo = "sha1";
    outputHash = "f572d396fae9206628714fb2ce00f72e94f2258f";
  };
  fixedSha1Rec = mk "fixed-sha1-rec" "echo hello > $out" {
    outputHashMode = "recursive";
    outputHashAlgo = "sha1";
    outputHash = "f572d396fae9206628714fb2ce00f72e94f2258f";
  };
  fixedSha512 = mk "fixed-sha512" "echo hello > $out" {
    outputHashAlgo = "sha512";
    outputHash = "e7c22b994c59d9cf2b48e549b1e24666636045930d3da7c1acb299d1c3b7f931f94aae41edda2c2b207a36e10f8bcb8d45223e54878f5b316e7ce3b6bc019629";
  };
  fixedMd5 = mk "fixed-md5" "echo hello > $out" {
    outputHashAlgo = "md5";
    outputHash = "b1946ac92492d2347c6235b4d2611184";
  };
  # Two fixed-output derivations with the same output but different
  # builders: their hash modulo is equal.
  fixedTwin = mk "fixed-flat" "printf 'hello\\n' > $out" {
    outputHashAlgo = "sha256";
    outputHash = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03";
  };
  fixedUser = mk "fixed-user" "cat ${fixedFlat} ${fixedRec} ${fixedTwin} ${fixedSha1Rec} > $out" { };
  # Two-output derivations on each twin: different .drv files, equal hash
  # modulo. A parent using `out` of one and `dev` of the other: Nix hashes
  # one input entry with both names (["dev","out"]), not the last one's.
  splitFirst = mk "split-mid" "cat ${fixedFlat} > $out; echo > $dev" { outputs = [ "out" "dev" ]; };
  splitSecond = mk "split-mid" "cat ${fixedTwin} > $out; echo > $dev" { outputs = [ "out" "dev" ]; };
  splitParent = mk "split-parent" "cat ${splitFirst.out} ${splitSecond.dev} > $out" { };
  splitParentRev = mk "split-parent-rev" "cat ${splitFirst.dev} ${splitSecond.out} > $out" { };

  textA = builtins.toFile "input-a.txt" "some text\n";
  textB = builtins.toFile "input-b.sh" "#!/bin/sh\ncat ${textA}\n";
  withSrc = mk "with-src" "sh ${textB} > $out; cat ${./derivations.nix} >/dev/null" { src = textA; };
  withAll = mk "with-all" "cat ${withSrc} ${diamond} ${multi.dev} ${fixedUser} ${textB} > $out" {
    nested = [ "list" "of" "strings" chain3 ];
    flag = true;
    number = 42;
    nothing = null;
  };
in
{
  inherit plain chain1 chain2 chain3 base left right diamond multi multiUser multiAll
    escapes oddPlus oddEq oddQ oddDots oddDash oddAll oddMulti
    fixedFlat fixedRec fixedSri fixedSha1 fixedSha1Rec fixedSha512 fixedMd5 fixedTwin fixedUser
    splitFirst splitSecond splitParent splitParentRev withSrc withAll;
  # builtins.toFile paths, checked separately (text paths with references)
  texts = {
    a = { path = textA; name = "input-a.txt"; content = "some text\n"; refs = [ ]; };
    b = { path = textB; name = "input-b.sh"; content = "#!/bin/sh\ncat ${textA}\n"; refs = [ textA ]; };
  };
}
