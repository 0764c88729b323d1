#!/usr/bin/perl
# Stands in for the Claude Code CLI in credential_bench.sh's containers (first on PATH as
# `claude`, so `claude-host run` starts it under claude-init). It never talks to any API;
# it only does what the CLI does with the live config dir's .credentials.json:
#   - refreshes when told to: IO/do-NAME holds "ID EXPIRES_AT_MS"; it writes the
#     credentials {accessToken "bench-ID", refreshToken "bench-r-ID", expiresAt} the way
#     the CLI writes them (lock folder .storage-write.lock made with mkdir, temp file
#     .credentials.json.tmp.<8 hex> mode 0600, rename, rmdir), then appends
#     "ID NANOSECONDS" to IO/wrote-NAME;
#   - watches the file (reads it every 1 ms: it is a few hundred bytes) and appends "ID NANOSECONDS" to IO/seen-NAME the first time it holds a new ID.
# Exits 0 when IO/stop exists. Environment: BENCH_IO (the mounted exchange folder),
# BENCH_NAME, CLAUDE_CONFIG_DIR (claude-init's live dir; else ~/.claude).
use strict;
use warnings;
use Time::HiRes qw(time sleep);
use Fcntl;

my $io = $ENV{BENCH_IO} or die "credential-agent: BENCH_IO is not set\n";
my $name = $ENV{BENCH_NAME} or die "credential-agent: BENCH_NAME is not set\n";
my $dir = $ENV{CLAUDE_CONFIG_DIR} || "$ENV{HOME}/.claude";
my $live = "$dir/.credentials.json";
my $lock = "$dir/.storage-write.lock";

sub now_ns { return sprintf("%.0f", time() * 1e9); }
sub append {
  my ($file, $line) = @_;
  open(my $fh, '>>', $file) or die "credential-agent: cannot append to $file: $!\n";
  print $fh "$line\n";
  close($fh);
}
sub slurp {
  my ($file) = @_;
  open(my $fh, '<', $file) or return undef;
  local $/;
  my $s = <$fh>;
  close($fh);
  return $s;
}

sub refresh {
  my ($id, $expires) = @_;
  my $tries = 0;
  until (mkdir($lock)) {
    # The CLI's rule: a lock folder older than 15 s is stale.
    my @st = stat($lock);
    rmdir($lock) if @st && time() - $st[9] > 15;
    die "credential-agent: $lock held for over 20 s\n" if ++$tries > 20000;
    sleep(0.001);
  }
  my $tmp = sprintf("%s.tmp.%08x", $live, int(rand(0xffffffff)));
  sysopen(my $fh, $tmp, O_WRONLY | O_CREAT | O_EXCL, 0600) or die "credential-agent: cannot create $tmp: $!\n";
  print $fh qq({"claudeAiOauth":{"accessToken":"bench-$id","refreshToken":"bench-r-$id","expiresAt":$expires,)
    . qq("scopes":["user:inference","user:profile","user:sessions:claude_code"],"subscriptionType":"max"}});
  close($fh) or die "credential-agent: cannot write $tmp: $!\n";
  rename($tmp, $live) or die "credential-agent: cannot rename $tmp to $live: $!\n";
  my $t = now_ns();
  rmdir($lock);
  append("$io/wrote-$name", "$id $t");
}

my ($last_id, $last_do) = (-1, "");
append("$io/ready-$name", now_ns());
until (-e "$io/stop") {
  my $text = slurp($live);
  if (defined $text && $text =~ /"accessToken":"bench-(\d+)"/ && $1 != $last_id) {
    $last_id = $1;
    append("$io/seen-$name", "$1 " . now_ns());
  }
  my $do = slurp("$io/do-$name");
  if (defined $do && $do ne $last_do && $do =~ /^(\d+) (\d+)\s*$/) {
    $last_do = $do;
    refresh($1, $2);
  }
  sleep(0.001);
}
exit 0;
