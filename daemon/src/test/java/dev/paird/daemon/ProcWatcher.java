package dev.paird.daemon;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What another local user sees of running processes: run as that user, it reads every {@code
 * /proc/PID/cmdline} and {@code /proc/PID/environ} it may, over and over, and reports each needle
 * it finds in one. {@link KeyOnCommandLineIT} runs it as nobody.
 *
 * <p>Protocol, one line each: the needles on standard input, one per line, ended by an empty line
 * (on standard input, not the command line, where it would find them in itself); then it prints
 * {@code READY} after its first full pass, {@code SEEN I PID} the first time needle number I (from
 * 0) shows up in a process, and, once a line {@code stop} arrives or standard input ends, {@code
 * PASSES N} and exits.
 */
public final class ProcWatcher {
  private ProcWatcher() {}

  public static void main(String[] args) throws Exception {
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    List<byte[]> needles = new ArrayList<>();
    for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) {
      needles.add(line.getBytes(StandardCharsets.UTF_8));
    }
    Thread stopper =
        new Thread(
            () -> {
              try {
                for (String line = in.readLine();
                    line != null && !line.equals("stop");
                    line = in.readLine()) {
                  // Anything else is ignored.
                }
              } catch (IOException e) {
                // Standard input failed: stop as if it had ended.
              }
            });
    stopper.setDaemon(true);
    stopper.start();
    Set<String> seen = new HashSet<>();
    long passes = 0;
    do {
      scan(needles, seen);
      if (passes++ == 0) {
        System.out.println("READY");
        System.out.flush();
      }
    } while (stopper.isAlive());
    // One more full pass after the stop, so the last look is later than whatever ended before.
    scan(needles, seen);
    System.out.println("PASSES " + (passes + 1));
    System.out.flush();
  }

  private static void scan(List<byte[]> needles, Set<String> seen) throws IOException {
    try (DirectoryStream<Path> processes = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
      for (Path process : processes) {
        for (String file : new String[] {"cmdline", "environ"}) {
          byte[] content;
          try {
            content = Files.readAllBytes(process.resolve(file));
          } catch (IOException e) {
            continue; // gone, or not ours to read
          }
          for (int i = 0; i < needles.size(); i++) {
            String report = "SEEN " + i + " " + process.getFileName();
            if (contains(content, needles.get(i)) && seen.add(report)) {
              System.out.println(report);
              System.out.flush();
            }
          }
        }
      }
    }
  }

  private static boolean contains(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }
}
