#!/usr/bin/perl
# What code running as paird could do: each attempt prints its name and "ok" or the errno it
# got. The system test runs it twice as user paird, once with no sandbox (the control: every
# attempt there succeeds, so each one can tell) and once under paird.service's own sandbox
# settings, where each must fail (docs/SYSTEMD.md, "Sandbox"). Perl, because perl-base is on
# every Debian system and makes raw system calls.
#
#   escape.pl STATE_DIR HOME_FILE EXEC_DIR...
use strict;
use warnings;
use POSIX ();

my ($state, $home_file, @exec_dirs) = @ARGV;
die "usage: escape.pl STATE_DIR HOME_FILE EXEC_DIR...\n" unless @exec_dirs;

# Linux system call numbers of the calls tried below.
my %nr = (
  x86_64  => { unshare => 272, personality => 135, ptrace => 101 },
  aarch64 => { unshare => 97,  personality => 92,  ptrace => 117 },
);
my $arch = (POSIX::uname())[4];
my $sys = $nr{$arch} or die "escape.pl: no system call numbers for $arch\n";

my %errno_name;
for my $name (qw(EPERM EACCES EROFS ENOENT EAFNOSUPPORT EINVAL ENOSYS)) {
  $errno_name{ POSIX->can($name)->() } = $name;
}
sub outcome { my ($ok) = @_; return $ok ? 'ok' : ($errno_name{ $! + 0 } // 'errno ' . ($! + 0)); }
sub report { my ($name, $ok) = @_; print "$name ", outcome($ok), "\n"; }

# A copy of /usr/bin/true in each directory, then run: a directory paird can write must not
# hold code it can run (NoExecPaths).
open(my $in, '<:raw', '/usr/bin/true') or die "escape.pl: /usr/bin/true: $!\n";
my $true = do { local $/; <$in> };
close $in;
for my $dir (@exec_dirs) {
  my $copy = "$dir/.escape-probe-true";
  unlink $copy;
  open(my $out, '>:raw', $copy) or do { report("exec $dir", 0); next; };
  print $out $true;
  close $out;
  chmod 0755, $copy;
  my $status = do { no warnings 'exec'; system { $copy } $copy };
  report("exec $dir", $status == 0);
  unlink $copy;
}

# A set-user-ID bit on a file of its own (RestrictSUIDSGID).
my $file = "$state/.escape-probe-suid";
open(my $f, '>', $file) or die "escape.pl: $file: $!\n";
close $f;
report('setuid-bit', chmod(04755, $file));
unlink $file;

# Another user's file that everyone may read, in /home (ProtectHome).
report('read /home', open(my $h, '<', $home_file));

# Another user's process (ProtectProc=invisible): PID 1 is root's.
report('see /proc/1', -e '/proc/1/status');

# The file system outside paird's own directories is read-only, even where everyone may write
# (ProtectSystem=strict): /run/lock is mode 1777.
report('write /run/lock', open(my $lock, '>', '/run/lock/.escape-probe'));
unlink '/run/lock/.escape-probe';

# Everything it may write, outside /proc and /sys: each directory or file the walk finds
# writable, without what lies under one already named. Under the sandbox only paird's own
# directories, the private /tmp, /var/tmp and /dev (ProtectSystem=strict, ReadOnlyPaths=/run).
my @writable;
open(my $stderr, '>&', \*STDERR) or die "escape.pl: standard error: $!\n";
open(STDERR, '>', '/dev/null') or die "escape.pl: /dev/null: $!\n";    # find's "Permission denied"
open(my $walk, '-|', '/usr/bin/find', '/', '(', '-path', '/proc', '-o', '-path', '/sys', ')',
  '-prune', '-o', '(', '-type', 'd', '-o', '-type', 'f', ')', '-writable', '-print')
  or die "escape.pl: find: $!\n";
open(STDERR, '>&', $stderr) or die "escape.pl: standard error: $!\n";
while (my $path = <$walk>) {
  chomp $path;
  push @writable, $path unless grep { index($path, "$_/") == 0 } @writable;
}
close $walk;
print 'writable ', join(' ', sort @writable), "\n";

# A socket of a family paird does not use (RestrictAddressFamilies): netlink, which any user
# may otherwise open; and, allowed, the one it listens on.
report('socket AF_NETLINK', socket(my $nl, 16, 3, 0));    # AF_NETLINK, SOCK_RAW, NETLINK_ROUTE
report('socket AF_INET', socket(my $in4, 2, 1, 0));       # AF_INET, SOCK_STREAM

# A new user namespace, in a child so the probe itself is not moved (RestrictNamespaces).
report('unshare user namespace', in_child(sub { syscall($sys->{unshare}, 0x10000000) == 0 }));

# Another execution domain (LockPersonality): PER_LINUX32.
report('personality', in_child(sub { syscall($sys->{personality}, 0x0008) != -1 }));

# ptrace, outside the system call filter (@system-service has no @debug): PTRACE_TRACEME.
report('ptrace', in_child(sub { syscall($sys->{ptrace}, 0, 0, 0, 0) == 0 }));

# in_child CODE: runs CODE in a child process, which reports success or its errno through its
# exit status, and sets $! as the child saw it.
sub in_child {
  my ($code) = @_;
  my $pid = fork() // die "escape.pl: fork: $!\n";
  if ($pid == 0) {
    my $ok = $code->();
    POSIX::_exit($ok ? 0 : ($! + 0) || 255);
  }
  waitpid($pid, 0);
  my $status = $? >> 8;
  $! = $status;
  return $status == 0;
}
