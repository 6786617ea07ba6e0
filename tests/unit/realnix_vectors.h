/* Derivations written by real Nix 2.8 (nix-instantiate of
 * tests/realnix-drv/derivations.nix): store path and exact `.drv` bytes.
 * Generated once from a real Nix run; used as test vectors by the unit
 * suites of core/drv and core/storepath. */
#ifndef LAZYKITE_TEST_REALNIX_VECTORS_H
#define LAZYKITE_TEST_REALNIX_VECTORS_H

#include <stddef.h>

struct realnix_drv {
    const char *path;
    const char *text;
};

static const struct realnix_drv realnix_drvs[] = {
    { "/nix/store/1q97pzpia50iy38qv6l3szjpzr7z8kzw-chain3.drv",
      "Derive([(\"out\",\"/nix/store/y75ycy8yylir2c1hfmcb15fqb1j4agv2-chain3\",\"\",\"\")],[("
      "\"/nix/store/shbr57p22m5nizvjsk0vapjzhiyn39jk-chain2.drv\",[\"out\"])],[],\"x86_64-linux"
      "\",\"/bin/sh\",[\"-c\",\"cat /nix/store/yzby1xnmwbw2zj78b6b57ycr75qg9174-chain2 > $out"
      "\"],[(\"PATH\",\"/usr/bin:/bin\"),(\"builder\",\"/bin/sh\"),(\"name\",\"chain3\"),(\"out"
      "\",\"/nix/store/y75ycy8yylir2c1hfmcb15fqb1j4agv2-chain3\"),(\"system\",\"x86_64-linux\")])" },
    { "/nix/store/27zgx59ppccb883y2rdbnbfbvpyzfi0q-fixed-sha1-rec.drv",
      "Derive([(\"out\",\"/nix/store/j5cv4fwxl6lyjd6pdsc1hv9v5jac9f9z-fixed-sha1-rec\",\"r:sha1"
      "\",\"f572d396fae9206628714fb2ce00f72e94f2258f\")],[],[],\"x86_64-linux\",\"/bin/sh\",["
      "\"-c\",\"echo hello > $out\"],[(\"PATH\",\"/usr/bin:/bin\"),(\"builder\",\"/bin/sh\"),("
      "\"name\",\"fixed-sha1-rec\"),(\"out\",\"/nix/store/j5cv4fwxl6lyjd6pdsc1hv9v5jac9f9z-fixed-"
      "sha1-rec\"),(\"outputHash\",\"f572d396fae9206628714fb2ce00f72e94f2258f\"),(\"outputHashAlg"
      "o\",\"sha1\"),(\"outputHashMode\",\"recursive\"),(\"system\",\"x86_64-linux\")])" },
    { "/nix/store/2x01hkdzpamh049zpfchwcmznihgjrvr-.dot.name..drv",
      "Derive([(\"out\",\"/nix/store/zl5ml2q7aksfwq117p93bqmmmacvm9l0-.dot.name.\",\"\",\"\")],[]"
      ",[],\"x86_64-linux\",\"/bin/sh\",[\"-c\",\"echo > $out\"],[(\"PATH\",\"/usr/bin:/bin\"),("
      "\"builder\",\"/bin/sh\"),(\"name\",\".dot.name.\"),(\"out\",\"/nix/store/zl5ml2q7aksfwq117"
      "p93bqmmmacvm9l0-.dot.name.\"),(\"system\",\"x86_64-linux\")])" },
    { "/nix/store/3sqj925x38y0skk6zfa54a95dwphkbka-fixed-user.drv",
      "Derive([(\"out\",\"/nix/store/273rj8i11r7d0w37jpsp46xym7067sxb-fixed-user\",\"\",\"\")],[("
      "\"/nix/store/27zgx59ppccb883y2rdbnbfbvpyzfi0q-fixed-sha1-rec.drv\",[\"out\"]),(\"/nix/stor"
      "e/6wzqlz3yy6ij1nkq9dzsaaf2vnd0n2rn-fixed-rec.drv\",[\"out\"]),(\"/nix/store/9vnxdj1lz1cnw4"
      "4h1w5zlpbagk4xxbrz-fixed-flat.drv\",[\"out\"]),(\"/nix/store/nfalbp0pdrmgdqsdxw1w2rk9cv7rj"
      "mcx-fixed-flat.drv\",[\"out\"])],[],\"x86_64-linux\",\"/bin/sh\",[\"-c\",\"cat /nix/store/"
      "wwklwj0a26pz90f6l7adic854r8mff8v-fixed-flat /nix/store/q462m2apqlfd4vvbrjl0aicq75kx0c41-fi"
      "xed-rec /nix/store/wwklwj0a26pz90f6l7adic854r8mff8v-fixed-flat /nix/store/j5cv4fwxl6lyjd6p"
      "dsc1hv9v5jac9f9z-fixed-sha1-rec > $out\"],[(\"PATH\",\"/usr/bin:/bin\"),(\"builder\",\"/bi"
      "n/sh\"),(\"name\",\"fixed-user\"),(\"out\",\"/nix/store/273rj8i11r7d0w37jpsp46xym7067sxb-f"
      "ixed-user\"),(\"system\",\"x86_64-linux\")])" },
    { "/nix/store/42fh7dpfrkzlhz8sfwiz2kcjvf8ryagx-_+=\?.-.drv",
      "Derive([(\"out\",\"/nix/store/l8gyr98gac0pag5m2gv14wsx7v2k4j1f-_+=\?.-\",\"\",\"\")],[("
      "\"/nix/store/2x01hkdzpamh049zpfchwcmznihgjrvr-.dot.name..drv\",[\"out\"]),(\"/nix/store/9q"
      "qgsmq09nysj2qyx226p6wbn1qlgq16-x=y.drv\",[\"out\"]),(\"/nix/store/g9mxym7jyhrhfxf4gr74h9hr"
      "vcspi36h-a+b.drv\",[\"out\"]),(\"/nix/store/v3xjm96y6zzhcab8g4hyyyfsr24l48i2-what\?.drv"
      "\",[\"out\"]),(\"/nix/store/z6kzfz0fr0qalf2c141jbng507rpn9dw--dash-.drv\",[\"out\"])],[],"
      "\"x86_64-linux\",\"/bin/sh\",[\"-c\",\"cat /nix/store/21dcc1sg594bz15dmlhgjynpx6949rv7-a+b"
      " /nix/store/fqywcj7f835bgvdkv350vdzijvrp07nl-x=y /nix/store/rcns584cw19gj4x4k9yr47rbmq1zrm"
      "7a-what\? /nix/store/zl5ml2q7aksfwq117p93bqmmmacvm9l0-.dot.name. /nix/store/w3i76n4l211kwr"
      "59m25s2zx758yvabrm--dash- > $out\"],[(\"PATH\",\"/usr/bin:/bin\"),(\"builder\",\"/bin/sh"
      "\"),(\"name\",\"_+=\?.-\"),(\"out\",\"/nix/store/l8gyr98gac0pag5m2gv14wsx7v2k4j1f-_+=\?.-"
      "\"),(\"system\",\"x86_64-linux\")])" },
    { "/nix/store/4njfkmrmb8yn61gjdyihqjmm63cmlhbm-fixed-sha1.drv",
      "Derive([(\"out\",\"/nix/store/nmgdpynwhd4yljfay4r39m8n1m0khqf9-fixed-sha1\",\"sha1\",\"f57"
      "2d396fae9206628714fb2ce00f72e94f2258f\")],[],[],\"x86_64-linux\",\"/bin/sh\",[\"-c\",\"ech"
      "o hello > $out\"],[(\"PATH\",\"/usr/bin:/bin\"),(\"builder\",\"/bin/sh\"),(\"name\",\"fixe"
      "d-sha1\"),(\"out\",\"/nix/store/nmgdpynwhd4yljfay4r39m8n1m0khqf9-fixed-sha1\"),(\"outputHa"
      "sh\",\"f572d396fae9206628714fb2ce00f72e94f2258f\"),(\"outputHashAlgo\",\"sha1\"),(\"system"
      "\",\"x86_64-linux\")])" },
    { "/nix/store/6wzqlz3yy6ij1nkq9dzsaaf2vnd0n2rn-fixed-rec.drv",
      "Derive([(\"out\",\"/nix/store/q462m2apqlfd4vvbrjl0aicq75kx0c41-fixed-rec\",\"r:sha256\","
      "\"80e3b9025f0d100a9ae0503c34d793db5455883a3e5bb1ea5e21d3b1aa5daf59\")],[],[],\"x86_64-linu"
      "x\",\"/bin/sh\",[\"-c\",\"echo hello > $out\"],[(\"PATH\",\"/usr/bin:/bin\"),(\"builder"
      "\",\"/bin/sh\"),(\"name\",\"fixed-rec\"),(\"out\",\"/nix/store/q462m2apqlfd4vvbrjl0aicq75k"
      "x0c41-fixed-rec\"),(\"outputHash\",\"0ndgbnmb3lr1bvmb2nry7a45am6vjgbk8g2hw2d0l40dbw1bkqw0"
      "\"),(\"outputHashAlgo\",\"sha256\"),(\"outputHashMode\",\"recursive\"),(\"system\",\"x86_6"
      "4-linux\")])" },
    { "/nix/store/7wz5ipjw5ylqxz24bcf6d06j4jb97gkn-base.drv",
      "Derive([(\"out\",\"/nix/store/npsly8l2kja0f1kchz7hwdkdihfg8759-base\",\"\",\"\")],[],[],"
      "\"x86_64-linux\",\"/bin/sh\",[\"-c\",\"echo base > $out\"],[(\"PATH\",\"/usr/bin:/bin\"),("
      "\"builder\",\"/bin/sh\"),(\"name\",\"base\"),(\"out\",\"/nix/store/npsly8l2kja0f1kchz7hwdk"
      "dihfg8759-base\"),(\"system\",\"x86_64-linux\")])" },
    { "/nix/store/8mgz8wrncidklzl97lm56bl0z81g3aiz-fixed-md5.drv",
      "Derive([(\"out\",\"/nix/store/068gbfv3c2brijhn2zbpwbpwlvpa2h0n-fixed-md5\",\"md5\",\"b1946"
      "ac92492d2347c6235b4d2611184\")],[],[],\"x86_64-linux\",\"/bin/sh\",[\"-c\",\"echo hello > "
      "$out\"],[(\"PATH\",\"/usr/bin:/bin\"),(\"builder\",\"/bin/sh\"),(\"name\",\"fixed-md5\"),("
      "\"out\",\"/nix/store/068gbfv3c2brijhn2zbpwbpwlvpa2h0n-fixed-md5\"),(\"outputHash\",\"b1946"
      "ac92492d2347c6235b4d2611184\"),(\"outputHashAlgo\",\"md5\"),(\"system\",\"x86_64-linux"
      "\")])" },
    { "/nix/store/9qqgsmq09nysj2qyx226p6wbn1qlgq16-x=y.drv",
      "Derive([(\"out\",\"/nix/store/fqywcj7f835bgvdkv350vdzijvrp07nl-x=y\",\"\",\"\")],[],[],"
      "\"x86_64-linux\",\"/bin/sh\",[\"-c\",\"echo > $out\"],[(\"PATH\",\"/usr/bin:/bin\"),(\"bui"
      "lder\",\"/bin/sh\"),(\"name\",\"x=y\"),(\"out\",\"/nix/store/fqywcj7f835bgvdkv350vdzijvrp0"
      "7nl-x=y\"),(\"system\",\"x86_64-linux\")])" },
    { "/nix/store/9vnxdj1lz1cnw44h1w5zlpbagk4xxbrz-fixed-flat.drv",
      "Derive([(\"out\",\"/nix/store/wwklwj0a26pz90f6l7adic854r8mff8v-fixed-flat\",\"sha256\","
      "\"5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03\")],[],[],\"x86_64-linu"
      "x\",\"/bin/sh\",[\"-c\",\"printf 'hello\\\\n' > $out\"],[(\"PATH\",\"/usr/bin:/bin\"),("
      "\"builder\",\"/bin/sh\"),(\"name\",\"fixed-flat\"),(\"out\",\"/nix/store/wwklwj0a26pz90f6l"
      "7adic854r8mff8v-fixed-flat\"),(\"outputHash\",\"5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163"
      "af34d08286a2e846f6be03\"),(\"outputHashAlgo\",\"sha256\"),(\"system\",\"x86_64-linux\")])" },
    { "/nix/store/aqm1k9w4nrnzrgq960k3iga3xms3k8cj-plain.drv",
      "Derive([(\"out\",\"/nix/store/qw058yscwgrx7rifbg86mnnljkh4iay1-plain\",\"\",\"\")],[],[],"
      "\"x86_64-linux\",\"/bin/sh\",[\"-c\",\"echo plain > $out\"],[(\"PATH\",\"/usr/bin:/bin"
      "\"),(\"builder\",\"/bin/sh\"),(\"name\",\"plain\"),(\"out\",\"/nix/store/qw058yscwgrx7rifb"
      "g86mnnljkh4iay1-plain\"),(\"system\",\"x86_64-linux\")])" },
    { "/nix/store/flwnigrqmsa8dqsms6fh5r5862hrg572-multi.drv",
      "Derive([(\"dev\",\"/nix/store/829y8qczlr3dsvv9mczaf7arnwic4q3s-multi-dev\",\"\",\"\"),("
      "\"lib\",\"/nix/store/g6nsi0x6wj8rm4312955x5j6awckfq2b-multi-lib\",\"\",\"\"),(\"out\","
      "\"/nix/store/bn9s6x3v07ipbxsipy28xdb9cr606vi7-multi\",\"\",\"\")],[],[],\"x86_64-linux\","
      "\"/bin/sh\",[\"-c\",\"echo o > $out; echo d > $dev; echo l > $lib\"],[(\"PATH\",\"/usr/bin"
      ":/bin\"),(\"builder\",\"/bin/sh\"),(\"dev\",\"/nix/store/829y8qczlr3dsvv9mczaf7arnwic4q3s-"
      "multi-dev\"),(\"lib\",\"/nix/store/g6nsi0x6wj8rm4312955x5j6awckfq2b-multi-lib\"),(\"name"
      "\",\"multi\"),(\"out\",\"/nix/store/bn9s6x3v07ipbxsipy28xdb9cr606vi7-multi\"),(\"outputs"
      "\",\"out dev lib\"),(\"system\",\"x86_64-linux\")])" },
    { "/nix/store/g9mxym7jyhrhfxf4gr74h9hrvcspi36h-a+b.drv",
      "Derive([(\"out\",\"/nix/store/21dcc1sg594bz15dmlhgjynpx6949rv7-a+b\",\"\",\"\")],[],[],"
      "\"x86_64-linux\",\"/bin/sh\",[\"-c\",\"echo > $out\"],[(\"PATH\",\"/usr/bin:/bin\"),(\"bui"
      "lder\",\"/bin/sh\"),(\"name\",\"a+b\"),(\"out\",\"/nix/store/21dcc1sg594bz15dmlhgjynpx6949"
      "rv7-a+b\"),(\"system\",\"x86_64-linux\")])" },
    { "/nix/store/hai6k0qwkb1mr6lhmqnk95nnvrr2li4s-right.drv",
      "Derive([(\"out\",\"/nix/store/r1gsvyh9mk7jb25wnkbxvfmjwdv9vgqd-right\",\"\",\"\")],[(\"/ni"
      "x/store/7wz5ipjw5ylqxz24bcf6d06j4jb97gkn-base.drv\",[\"out\"])],[],\"x86_64-linux\",\"/bin"
      "/sh\",[\"-c\",\"cat /nix/store/npsly8l2kja0f1kchz7hwdkdihfg8759-base > $out; echo r >> $ou"
      "t\"],[(\"PATH\",\"/usr/bin:/bin\"),(\"builder\",\"/bin/sh\"),(\"name\",\"right\"),(\"out"
      "\",\"/nix/store/r1gsvyh9mk7jb25wnkbxvfmjwdv9vgqd-right\"),(\"system\",\"x86_64-linux\")])" },
    { "/nix/store/hjdcxp4qwxr3mqj9mrq2s24lqlza00l4-multi-user.drv",
      "Derive([(\"out\",\"/nix/store/kak8hy3w12wp1k2q88k7dh9k4p5yyg2y-multi-user\",\"\",\"\")],[("
      "\"/nix/store/flwnigrqmsa8dqsms6fh5r5862hrg572-multi.drv\",[\"dev\",\"lib\"])],[],\"x86_64-"
      "linux\",\"/bin/sh\",[\"-c\",\"cat /nix/store/829y8qczlr3dsvv9mczaf7arnwic4q3s-multi-dev /n"
      "ix/store/g6nsi0x6wj8rm4312955x5j6awckfq2b-multi-lib > $out\"],[(\"PATH\",\"/usr/bin:/bin"
      "\"),(\"builder\",\"/bin/sh\"),(\"name\",\"multi-user\"),(\"out\",\"/nix/store/kak8hy3w12wp"
      "1k2q88k7dh9k4p5yyg2y-multi-user\"),(\"system\",\"x86_64-linux\")])" },
    { "/nix/store/j6pahf70vim2v02g0kqxmwx0m6fvwwjl-left.drv",
      "Derive([(\"out\",\"/nix/store/llhg3pmzz82q2ma1rccqzi8d1i3d8lh2-left\",\"\",\"\")],[(\"/nix"
      "/store/7wz5ipjw5ylqxz24bcf6d06j4jb97gkn-base.drv\",[\"out\"])],[],\"x86_64-linux\",\"/bin/"
      "sh\",[\"-c\",\"cat /nix/store/npsly8l2kja0f1kchz7hwdkdihfg8759-base > $out\"],[(\"PATH\","
      "\"/usr/bin:/bin\"),(\"builder\",\"/bin/sh\"),(\"name\",\"left\"),(\"out\",\"/nix/store/llh"
      "g3pmzz82q2ma1rccqzi8d1i3d8lh2-left\"),(\"system\",\"x86_64-linux\")])" },
    { "/nix/store/l211g8fsa42h8cv3dp7nkgg5cqa77173-with-all.drv",
      "Derive([(\"out\",\"/nix/store/y7fgrwl42ml9nli1hbbv25m215dm3vih-with-all\",\"\",\"\")],[("
      "\"/nix/store/1q97pzpia50iy38qv6l3szjpzr7z8kzw-chain3.drv\",[\"out\"]),(\"/nix/store/3sqj92"
      "5x38y0skk6zfa54a95dwphkbka-fixed-user.drv\",[\"out\"]),(\"/nix/store/flwnigrqmsa8dqsms6fh5"
      "r5862hrg572-multi.drv\",[\"dev\"]),(\"/nix/store/nxn8c0cnvvhhkxgi6047ydhawxq3pkq8-with-src"
      ".drv\",[\"out\"]),(\"/nix/store/z7mq06rs2sx6yrbhvg2ziim5n8d08n82-diamond.drv\",[\"out\"])]"
      ",[\"/nix/store/i39ngcb53n7lk9njawlz76kh4ry118zh-input-b.sh\"],\"x86_64-linux\",\"/bin/sh"
      "\",[\"-c\",\"cat /nix/store/0dhrzifvh8xhqgkraq1qsxn2nzrykphz-with-src /nix/store/8dgd147w8"
      "fq7ympd4hmxsx6y8s3c7ksf-diamond /nix/store/829y8qczlr3dsvv9mczaf7arnwic4q3s-multi-dev /nix"
      "/store/273rj8i11r7d0w37jpsp46xym7067sxb-fixed-user /nix/store/i39ngcb53n7lk9njawlz76kh4ry1"
      "18zh-input-b.sh > $out\"],[(\"PATH\",\"/usr/bin:/bin\"),(\"builder\",\"/bin/sh\"),(\"flag"
      "\",\"1\"),(\"name\",\"with-all\"),(\"nested\",\"list of strings /nix/store/y75ycy8yylir2c1"
      "hfmcb15fqb1j4agv2-chain3\"),(\"nothing\",\"\"),(\"number\",\"42\"),(\"out\",\"/nix/store/y"
      "7fgrwl42ml9nli1hbbv25m215dm3vih-with-all\"),(\"system\",\"x86_64-linux\")])" },
    { "/nix/store/maydxjijqyiqhf6vgf800prb2pab0ybf-escapes.drv",
      "Derive([(\"out\",\"/nix/store/6ka8s4ajayq6mwraivxh8jvr5n3pmxws-escapes\",\"\",\"\")],[],[]"
      ",\"x86_64-linux\",\"/bin/sh\",[\"-c\",\"printf '%s\\\\n' \\\"quote\\\\\\\" backslash\\\\\\\\ "
      "dollar-brace${HOME} tab\\tcr\\rnl\\n\\\" > $out\"],[(\"\",\"empty key\"),(\"PATH\",\"/usr/"
      "bin:/bin\"),(\"backslash\",\"a\\\\b\\\\\\\\c\"),(\"builder\",\"/bin/sh\"),(\"cr\",\"a\\rb\\r"
      "\\n\"),(\"dollarBrace\",\"${not interpolated} $plain $${x}\"),(\"empty\",\"\"),(\"everythi"
      "ng\",\"\\\"\\\\\\n\\t\\r${}'`$\"),(\"key=with=equals\",\"x\"),(\"multiLine\",\"two-space i"
      "ndented\\n  ${still literal} ${escaped-interpolation} ''triple\\n\"),(\"name\",\"escapes"
      "\"),(\"newline\",\"line1\\nline2\\n\"),(\"odd key\",\"v\"),(\"out\",\"/nix/store/6ka8s4aja"
      "yq6mwraivxh8jvr5n3pmxws-escapes\"),(\"quote\",\"a\\\"b\"),(\"system\",\"x86_64-linux\"),("
      "\"tab\",\"a\\tb\"),(\"unicode\",\"\303\251 \342\234\223 \360\237\232\200 \303\274n\303"
      "\257c\303\266d\303\251 \342\210\200x\342\210\210\342\204\235\")])" },
    { "/nix/store/nfalbp0pdrmgdqsdxw1w2rk9cv7rjmcx-fixed-flat.drv",
      "Derive([(\"out\",\"/nix/store/wwklwj0a26pz90f6l7adic854r8mff8v-fixed-flat\",\"sha256\","
      "\"5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03\")],[],[],\"x86_64-linu"
      "x\",\"/bin/sh\",[\"-c\",\"echo hello > $out\"],[(\"PATH\",\"/usr/bin:/bin\"),(\"builder"
      "\",\"/bin/sh\"),(\"name\",\"fixed-flat\"),(\"out\",\"/nix/store/wwklwj0a26pz90f6l7adic854r"
      "8mff8v-fixed-flat\"),(\"outputHash\",\"5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d0828"
      "6a2e846f6be03\"),(\"outputHashAlgo\",\"sha256\"),(\"outputHashMode\",\"flat\"),(\"system"
      "\",\"x86_64-linux\")])" },
    { "/nix/store/nxn8c0cnvvhhkxgi6047ydhawxq3pkq8-with-src.drv",
      "Derive([(\"out\",\"/nix/store/0dhrzifvh8xhqgkraq1qsxn2nzrykphz-with-src\",\"\",\"\")],[],["
      "\"/nix/store/1h0n2fz9hklv7gvj1myvhg7z2bdczci0-derivations.nix\",\"/nix/store/di6q8sbwgf4sy"
      "qkn8gh4j6js255jcqw0-input-a.txt\",\"/nix/store/i39ngcb53n7lk9njawlz76kh4ry118zh-input-b.sh"
      "\"],\"x86_64-linux\",\"/bin/sh\",[\"-c\",\"sh /nix/store/i39ngcb53n7lk9njawlz76kh4ry118zh-"
      "input-b.sh > $out; cat /nix/store/1h0n2fz9hklv7gvj1myvhg7z2bdczci0-derivations.nix >/dev/n"
      "ull\"],[(\"PATH\",\"/usr/bin:/bin\"),(\"builder\",\"/bin/sh\"),(\"name\",\"with-src\"),("
      "\"out\",\"/nix/store/0dhrzifvh8xhqgkraq1qsxn2nzrykphz-with-src\"),(\"src\",\"/nix/store/di"
      "6q8sbwgf4syqkn8gh4j6js255jcqw0-input-a.txt\"),(\"system\",\"x86_64-linux\")])" },
    { "/nix/store/p2qxavs1lx5xl8g1p9c6vm3d66fnqm4m-fixed-sha512.drv",
      "Derive([(\"out\",\"/nix/store/ys02zg7d5dgvqr1cdgkpvnw019jns6p8-fixed-sha512\",\"sha512\","
      "\"e7c22b994c59d9cf2b48e549b1e24666636045930d3da7c1acb299d1c3b7f931f94aae41edda2c2b207a36e1"
      "0f8bcb8d45223e54878f5b316e7ce3b6bc019629\")],[],[],\"x86_64-linux\",\"/bin/sh\",[\"-c\","
      "\"echo hello > $out\"],[(\"PATH\",\"/usr/bin:/bin\"),(\"builder\",\"/bin/sh\"),(\"name\","
      "\"fixed-sha512\"),(\"out\",\"/nix/store/ys02zg7d5dgvqr1cdgkpvnw019jns6p8-fixed-sha512\"),("
      "\"outputHash\",\"e7c22b994c59d9cf2b48e549b1e24666636045930d3da7c1acb299d1c3b7f931f94aae41e"
      "dda2c2b207a36e10f8bcb8d45223e54878f5b316e7ce3b6bc019629\"),(\"outputHashAlgo\",\"sha512"
      "\"),(\"system\",\"x86_64-linux\")])" },
    { "/nix/store/rdm886ry4fdxbsff7ik6pqnwl81dig1p-chain1.drv",
      "Derive([(\"out\",\"/nix/store/p2iwnp6m660lrg9jbns6v5ybrqn61syy-chain1\",\"\",\"\")],[],[],"
      "\"x86_64-linux\",\"/bin/sh\",[\"-c\",\"echo 1 > $out\"],[(\"PATH\",\"/usr/bin:/bin\"),("
      "\"builder\",\"/bin/sh\"),(\"name\",\"chain1\"),(\"out\",\"/nix/store/p2iwnp6m660lrg9jbns6v"
      "5ybrqn61syy-chain1\"),(\"system\",\"x86_64-linux\")])" },
    { "/nix/store/shbr57p22m5nizvjsk0vapjzhiyn39jk-chain2.drv",
      "Derive([(\"out\",\"/nix/store/yzby1xnmwbw2zj78b6b57ycr75qg9174-chain2\",\"\",\"\")],[("
      "\"/nix/store/rdm886ry4fdxbsff7ik6pqnwl81dig1p-chain1.drv\",[\"out\"])],[],\"x86_64-linux"
      "\",\"/bin/sh\",[\"-c\",\"cat /nix/store/p2iwnp6m660lrg9jbns6v5ybrqn61syy-chain1 > $out"
      "\"],[(\"PATH\",\"/usr/bin:/bin\"),(\"builder\",\"/bin/sh\"),(\"name\",\"chain2\"),(\"out"
      "\",\"/nix/store/yzby1xnmwbw2zj78b6b57ycr75qg9174-chain2\"),(\"system\",\"x86_64-linux\")])" },
    { "/nix/store/szbqc3qkidacicfm5x3fl9p73ibxb1vm-odd-multi+1.drv",
      "Derive([(\"bin\",\"/nix/store/c5967gx7zfjndyak27kxw5fws073g36p-odd-multi+1-bin\",\"\",\""
      "\"),(\"out\",\"/nix/store/6ksl941r83bk42m64pgbpjv4y7lkakkm-odd-multi+1\",\"\",\"\")],[],[]"
      ",\"x86_64-linux\",\"/bin/sh\",[\"-c\",\"echo > $out; echo > $bin\"],[(\"PATH\",\"/usr/bin:"
      "/bin\"),(\"bin\",\"/nix/store/c5967gx7zfjndyak27kxw5fws073g36p-odd-multi+1-bin\"),(\"build"
      "er\",\"/bin/sh\"),(\"name\",\"odd-multi+1\"),(\"out\",\"/nix/store/6ksl941r83bk42m64pgbpjv"
      "4y7lkakkm-odd-multi+1\"),(\"outputs\",\"bin out\"),(\"system\",\"x86_64-linux\")])" },
    { "/nix/store/v3xjm96y6zzhcab8g4hyyyfsr24l48i2-what\?.drv",
      "Derive([(\"out\",\"/nix/store/rcns584cw19gj4x4k9yr47rbmq1zrm7a-what\?\",\"\",\"\")],[],[],"
      "\"x86_64-linux\",\"/bin/sh\",[\"-c\",\"echo > $out\"],[(\"PATH\",\"/usr/bin:/bin\"),(\"bui"
      "lder\",\"/bin/sh\"),(\"name\",\"what\?\"),(\"out\",\"/nix/store/rcns584cw19gj4x4k9yr47rbmq"
      "1zrm7a-what\?\"),(\"system\",\"x86_64-linux\")])" },
    { "/nix/store/v868113bmcmw5rq80ymrq3n27v27r5vy-fixed-sri.drv",
      "Derive([(\"out\",\"/nix/store/iyg2lwv4164h4zj5mdmwl6jmjxil34r9-fixed-sri\",\"sha256\","
      "\"5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03\")],[],[],\"x86_64-linu"
      "x\",\"/bin/sh\",[\"-c\",\"echo hello > $out\"],[(\"PATH\",\"/usr/bin:/bin\"),(\"builder"
      "\",\"/bin/sh\"),(\"name\",\"fixed-sri\"),(\"out\",\"/nix/store/iyg2lwv4164h4zj5mdmwl6jmjxi"
      "l34r9-fixed-sri\"),(\"outputHash\",\"sha256-WJG1tSLV3whtD/CxEPvZ0hu0/HFjrzTQgoai6Eb2vgM="
      "\"),(\"system\",\"x86_64-linux\")])" },
    { "/nix/store/yvscwmxjcp8kl0kxhfj1hdnvhj7y21g9-multi-all.drv",
      "Derive([(\"out\",\"/nix/store/gi0cal2vf3lc74bl7xk10cpl181qr0k4-multi-all\",\"\",\"\")],[("
      "\"/nix/store/flwnigrqmsa8dqsms6fh5r5862hrg572-multi.drv\",[\"dev\",\"lib\",\"out\"])],[],"
      "\"x86_64-linux\",\"/bin/sh\",[\"-c\",\"cat /nix/store/bn9s6x3v07ipbxsipy28xdb9cr606vi7-mul"
      "ti /nix/store/829y8qczlr3dsvv9mczaf7arnwic4q3s-multi-dev > $out\"],[(\"PATH\",\"/usr/bin:/"
      "bin\"),(\"builder\",\"/bin/sh\"),(\"dep\",\"/nix/store/g6nsi0x6wj8rm4312955x5j6awckfq2b-mu"
      "lti-lib\"),(\"name\",\"multi-all\"),(\"out\",\"/nix/store/gi0cal2vf3lc74bl7xk10cpl181qr0k4"
      "-multi-all\"),(\"system\",\"x86_64-linux\")])" },
    { "/nix/store/z6kzfz0fr0qalf2c141jbng507rpn9dw--dash-.drv",
      "Derive([(\"out\",\"/nix/store/w3i76n4l211kwr59m25s2zx758yvabrm--dash-\",\"\",\"\")],[],[],"
      "\"x86_64-linux\",\"/bin/sh\",[\"-c\",\"echo > $out\"],[(\"PATH\",\"/usr/bin:/bin\"),(\"bui"
      "lder\",\"/bin/sh\"),(\"name\",\"-dash-\"),(\"out\",\"/nix/store/w3i76n4l211kwr59m25s2zx758"
      "yvabrm--dash-\"),(\"system\",\"x86_64-linux\")])" },
    { "/nix/store/z7mq06rs2sx6yrbhvg2ziim5n8d08n82-diamond.drv",
      "Derive([(\"out\",\"/nix/store/8dgd147w8fq7ympd4hmxsx6y8s3c7ksf-diamond\",\"\",\"\")],[("
      "\"/nix/store/hai6k0qwkb1mr6lhmqnk95nnvrr2li4s-right.drv\",[\"out\"]),(\"/nix/store/j6pahf7"
      "0vim2v02g0kqxmwx0m6fvwwjl-left.drv\",[\"out\"])],[],\"x86_64-linux\",\"/bin/sh\",[\"-c\","
      "\"cat /nix/store/llhg3pmzz82q2ma1rccqzi8d1i3d8lh2-left /nix/store/r1gsvyh9mk7jb25wnkbxvfmj"
      "wdv9vgqd-right > $out\"],[(\"PATH\",\"/usr/bin:/bin\"),(\"builder\",\"/bin/sh\"),(\"name"
      "\",\"diamond\"),(\"out\",\"/nix/store/8dgd147w8fq7ympd4hmxsx6y8s3c7ksf-diamond\"),(\"syste"
      "m\",\"x86_64-linux\")])" },
    { "/nix/store/hlr3s1m4a5r2q5518mp62xajyjby3c9y-split-mid.drv",
      "Derive([(\"dev\",\"/nix/store/jby1149x2z9m7s80fr5i0jzrg1mc9h6b-split-mid-dev\",\"\",\"\""
      "),(\"out\",\"/nix/store/3fjg724icarii1lqbmxfdkk9gl88xi90-split-mid\",\"\",\"\")],[(\"/ni"
      "x/store/nfalbp0pdrmgdqsdxw1w2rk9cv7rjmcx-fixed-flat.drv\",[\"out\"])],[],\"x86_64-linux\""
      ",\"/bin/sh\",[\"-c\",\"cat /nix/store/wwklwj0a26pz90f6l7adic854r8mff8v-fixed-flat > $out"
      "; echo > $dev\"],[(\"PATH\",\"/usr/bin:/bin\"),(\"builder\",\"/bin/sh\"),(\"dev\",\"/nix"
      "/store/jby1149x2z9m7s80fr5i0jzrg1mc9h6b-split-mid-dev\"),(\"name\",\"split-mid\"),(\"out"
      "\",\"/nix/store/3fjg724icarii1lqbmxfdkk9gl88xi90-split-mid\"),(\"outputs\",\"out dev\"),"
      "(\"system\",\"x86_64-linux\")])" },
    { "/nix/store/n5ajm77w31wqf5ws8zy78xv1r1x45lfg-split-parent.drv",
      "Derive([(\"out\",\"/nix/store/80cmwvg9jq76p866ak2w9rbcdfffddv4-split-parent\",\"\",\"\")"
      "],[(\"/nix/store/hlr3s1m4a5r2q5518mp62xajyjby3c9y-split-mid.drv\",[\"out\"]),(\"/nix/sto"
      "re/qa3zrm9pqflh4p97wv7nkml8yb6ygikk-split-mid.drv\",[\"dev\"])],[],\"x86_64-linux\",\"/b"
      "in/sh\",[\"-c\",\"cat /nix/store/3fjg724icarii1lqbmxfdkk9gl88xi90-split-mid /nix/store/j"
      "by1149x2z9m7s80fr5i0jzrg1mc9h6b-split-mid-dev > $out\"],[(\"PATH\",\"/usr/bin:/bin\"),(\""
      "builder\",\"/bin/sh\"),(\"name\",\"split-parent\"),(\"out\",\"/nix/store/80cmwvg9jq76p86"
      "6ak2w9rbcdfffddv4-split-parent\"),(\"system\",\"x86_64-linux\")])" },
    { "/nix/store/qa3zrm9pqflh4p97wv7nkml8yb6ygikk-split-mid.drv",
      "Derive([(\"dev\",\"/nix/store/jby1149x2z9m7s80fr5i0jzrg1mc9h6b-split-mid-dev\",\"\",\"\""
      "),(\"out\",\"/nix/store/3fjg724icarii1lqbmxfdkk9gl88xi90-split-mid\",\"\",\"\")],[(\"/ni"
      "x/store/9vnxdj1lz1cnw44h1w5zlpbagk4xxbrz-fixed-flat.drv\",[\"out\"])],[],\"x86_64-linux\""
      ",\"/bin/sh\",[\"-c\",\"cat /nix/store/wwklwj0a26pz90f6l7adic854r8mff8v-fixed-flat > $out"
      "; echo > $dev\"],[(\"PATH\",\"/usr/bin:/bin\"),(\"builder\",\"/bin/sh\"),(\"dev\",\"/nix"
      "/store/jby1149x2z9m7s80fr5i0jzrg1mc9h6b-split-mid-dev\"),(\"name\",\"split-mid\"),(\"out"
      "\",\"/nix/store/3fjg724icarii1lqbmxfdkk9gl88xi90-split-mid\"),(\"outputs\",\"out dev\"),"
      "(\"system\",\"x86_64-linux\")])" },
    { "/nix/store/w9pcz87318l74myw14s2jpp7h6ha2803-split-parent-rev.drv",
      "Derive([(\"out\",\"/nix/store/7zvn6dmqav0b8yqskq6vcfxfc7al2q13-split-parent-rev\",\"\",\""
      "\")],[(\"/nix/store/hlr3s1m4a5r2q5518mp62xajyjby3c9y-split-mid.drv\",[\"dev\"]),(\"/nix/"
      "store/qa3zrm9pqflh4p97wv7nkml8yb6ygikk-split-mid.drv\",[\"out\"])],[],\"x86_64-linux\",\""
      "/bin/sh\",[\"-c\",\"cat /nix/store/jby1149x2z9m7s80fr5i0jzrg1mc9h6b-split-mid-dev /nix/s"
      "tore/3fjg724icarii1lqbmxfdkk9gl88xi90-split-mid > $out\"],[(\"PATH\",\"/usr/bin:/bin\"),"
      "(\"builder\",\"/bin/sh\"),(\"name\",\"split-parent-rev\"),(\"out\",\"/nix/store/7zvn6dmq"
      "av0b8yqskq6vcfxfc7al2q13-split-parent-rev\"),(\"system\",\"x86_64-linux\")])" },
};
#define REALNIX_N_DRVS (sizeof realnix_drvs / sizeof realnix_drvs[0])

#endif
