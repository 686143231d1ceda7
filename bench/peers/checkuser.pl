#!/usr/bin/perl
# Run Mail::CheckUser (Debian package libmail-checkuser-perl) over a list of
# addresses against the simulated world on loopback.
#
# Usage: checkuser.pl IN.tsv OUT.csv WORKERS TIMEOUT_S
# IN.tsv: "ROW<TAB>ADDRESS" per line. OUT.csv: row,ok,code,reason.
# Environment: PEER_DNS (ADDRESS:PORT of the DNS server), PEER_SMTP_PORT.
#
# Mail::CheckUser checks one address at a time. WORKERS processes each take
# every WORKERS-th row, so WORKERS=1 is the library as shipped. The module's
# own variables set the resolver, the HELO name, the sender and the timeout;
# $Skip_SYN turns off its SYN ping, which always dials port 25. Net::SMTP
# has no global port setting, so Net::SMTP->new is wrapped to add Port. A
# host outside 127.0.0.0/8 (the world's unroutable 0.0.0.0, a null MX ".")
# gets no connection: the wrapper fails the way an unreachable host does.
use strict;
use warnings;

use Mail::CheckUser qw(check_email last_check);
use Net::DNS;
use Net::SMTP;
use POSIX qw(_exit);

my ($input, $output, $workers, $timeout) = @ARGV;
die "usage: checkuser.pl IN.tsv OUT.csv WORKERS TIMEOUT_S\n"
  unless defined $timeout && $workers =~ /^\d+$/ && $workers > 0;
my ($dns_addr, $dns_port) = ($ENV{PEER_DNS} // '') =~ /^(127\.[\d.]+):(\d+)$/
  or die "PEER_DNS must be a loopback ADDRESS:PORT\n";
my $smtp_port = $ENV{PEER_SMTP_PORT} // '';
die "PEER_SMTP_PORT must be a TCP port\n" unless $smtp_port =~ /^\d+$/;

{
  no warnings 'redefine';
  my $new = \&Net::SMTP::new;
  *Net::SMTP::new = sub {
    my ($class, $host, %args) = @_;
    unless ($host =~ /^127\.\d+\.\d+\.\d+$/) {
      $@ = "not a loopback address: $host";
      return undef;
    }
    return $new->($class, $host, %args, Port => $smtp_port);
  };
}

$Mail::CheckUser::Net_DNS_Resolver = Net::DNS::Resolver->new(
  nameservers => [$dns_addr],
  port => $dns_port,
  retry => 2,
  tcp_timeout => $timeout,
  udp_timeout => $timeout,
);
$Mail::CheckUser::Skip_SYN = 1;
$Mail::CheckUser::Timeout = $timeout;
$Mail::CheckUser::Helo_Domain = 'probe.listclean.test';
$Mail::CheckUser::Sender_Addr = 'check@probe.listclean.test';

open(my $in, '<', $input) or die "cannot read $input: $!\n";
my @rows = map { chomp; [split /\t/, $_, 2] } <$in>;
close $in;

sub csv_field {
  my ($text) = @_;
  $text = '' unless defined $text;
  return $text unless $text =~ /[",\r\n]/;
  $text =~ s/"/""/g;
  return "\"$text\"";
}

sub run_worker {
  my ($index, $path) = @_;
  open(my $out, '>', $path) or die "cannot write $path: $!\n";
  for (my $i = $index; $i < @rows; $i += $workers) {
    my ($row, $email) = @{$rows[$i]};
    $email = '' unless defined $email;
    my $ok = check_email($email) ? 1 : 0;
    my $check = last_check();
    print $out join(',', $row, $ok, map { csv_field($_) }
                    $check->{code}, $check->{reason}), "\n";
  }
  close $out or die "cannot write $path: $!\n";
}

my @pids;
for my $index (0 .. $workers - 1) {
  my $pid = fork() // die "fork failed: $!\n";
  if ($pid == 0) {
    run_worker($index, "$output.part$index");
    _exit(0);
  }
  push @pids, $pid;
}
my $failed = 0;
for my $pid (@pids) {
  waitpid($pid, 0);
  $failed++ if $? != 0;
}
die "checkuser.pl: $failed worker(s) failed\n" if $failed;

open(my $out, '>', $output) or die "cannot write $output: $!\n";
print $out "row,ok,code,reason\n";
my @lines;
for my $index (0 .. $workers - 1) {
  open(my $part, '<', "$output.part$index") or die "cannot read part: $!\n";
  push @lines, <$part>;
  close $part;
  unlink "$output.part$index";
}
print $out sort { ($a =~ /^(\d+)/)[0] <=> ($b =~ /^(\d+)/)[0] } @lines;
close $out or die "cannot write $output: $!\n";
