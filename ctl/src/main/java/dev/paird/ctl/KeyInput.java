package dev.paird.ctl;

import dev.paird.api.ErrorCode;
import dev.paird.api.FileProblems;
import dev.paird.api.PairdException;
import dev.paird.api.WritableDirectories;
import java.io.Console;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Where {@code pairctl pair} gets a key that is not on its command line, where every user of the
 * machine could read it ({@code /proc/PID/cmdline}): the terminal, without echo; one line of
 * standard input when that is not a terminal; or the first line of a {@code --key-file}.
 *
 * <p>Keys are returned in arrays that the caller wipes; they never become a {@code String}, and the
 * buffers used on the way are wiped too. Standard input is read a byte at a time up to the end of
 * the first line, so that nothing after it is consumed and no buffer keeps the key.
 */
final class KeyInput {
  /** Longest line read as a key; the longest key is 33 characters with its dashes. */
  static final int MAX_LINE_BYTES = 256;

  /** Asks on the terminal without echo; null if the input ended. */
  interface Terminal {
    char[] readPassword(String prompt) throws PairdException;
  }

  static final String PROMPT = "Key shown on the other device: ";

  private final Supplier<Optional<Terminal>> terminal;
  private final Supplier<InputStream> stdin;

  /**
   * @param terminal the terminal, if standard input and output are one
   * @param stdin standard input, read only when there is no terminal
   */
  KeyInput(Supplier<Optional<Terminal>> terminal, Supplier<InputStream> stdin) {
    this.terminal = terminal;
    this.stdin = stdin;
  }

  /** Whether {@link #ask} would ask a person on a terminal, not read standard input. */
  boolean asksOnATerminal() {
    return terminal.get().isPresent();
  }

  /**
   * This process's terminal and standard input, looked at only when a key is needed. Whether there
   * is a terminal is decided by standard input itself, not by {@link System#console()}: Java 22 and
   * later return a console without a terminal too, and pairctl must then read the key from standard
   * input, not prompt for it.
   */
  static KeyInput system() {
    return new KeyInput(new SystemTerminal(), new SystemIn());
  }

  // Classes rather than lambdas: every pairctl run makes a KeyInput, and a lambda's first use
  // costs a bootstrap through java.lang.invoke; the lambdas inside run only when a key is asked.

  /** The terminal on standard input, if there is one. */
  private static final class SystemTerminal implements Supplier<Optional<Terminal>> {
    // Null here still means what it means on Java 17, the runtime pairctl is built for: a
    // terminal on standard input but not on standard output; then stty(1) turns the echo off.
    @SuppressWarnings("SystemConsoleNull")
    @Override
    public Optional<Terminal> get() {
      if (!standardInputIsATerminal()) {
        return Optional.empty();
      }
      Console console = System.console();
      if (console != null) {
        return Optional.of(prompt -> console.readPassword("%s", prompt));
      }
      return Optional.of(KeyInput::readWithoutEcho);
    }
  }

  /** This process's standard input. */
  private static final class SystemIn implements Supplier<InputStream> {
    @Override
    public InputStream get() {
      return new FileInputStream(FileDescriptor.in);
    }
  }

  /**
   * Whether standard input is a terminal, also when the JDK offers no {@link Console}, as when
   * standard output is redirected ({@code pairctl --json pair HOST > answer.json}).
   */
  private static boolean standardInputIsATerminal() {
    try {
      String target = Files.readSymbolicLink(Path.of("/proc/self/fd/0")).toString();
      return target.startsWith("/dev/pts/")
          || target.startsWith("/dev/tty")
          || target.equals("/dev/console");
    } catch (IOException | UnsupportedOperationException e) {
      return false;
    }
  }

  /**
   * Asks on standard error and reads a line of the terminal on standard input with its echo turned
   * off by stty(1), and back on afterwards, also if pairctl is interrupted meanwhile.
   */
  private static char[] readWithoutEcho(String prompt) throws PairdException {
    boolean silent = stty("-echo");
    Thread restore = new Thread(() -> stty("echo"));
    if (silent) {
      Runtime.getRuntime().addShutdownHook(restore);
    }
    System.err.print(silent ? prompt : "(stty failed: the key will show as you type it) " + prompt);
    System.err.flush();
    try {
      return firstLine(new FileInputStream(FileDescriptor.in), "standard input");
    } catch (IOException e) {
      throw new PairdException(
          ErrorCode.USAGE,
          "pair: cannot read the key from the terminal: " + FileProblems.reason(e),
          e);
    } finally {
      if (silent) {
        stty("echo");
        try {
          Runtime.getRuntime().removeShutdownHook(restore);
        } catch (IllegalStateException e) {
          // Already shutting down: the hook restores the echo.
        }
      }
      System.err.println();
    }
  }

  /** Runs {@code stty MODE} on standard input; whether it succeeded. */
  private static boolean stty(String mode) {
    try {
      Process stty =
          new ProcessBuilder("stty", mode)
              .redirectInput(ProcessBuilder.Redirect.INHERIT)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .redirectError(ProcessBuilder.Redirect.DISCARD)
              .start();
      return stty.waitFor() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** The key from the terminal, or else the first line of standard input. */
  char[] ask() throws PairdException {
    Optional<Terminal> tty = terminal.get();
    if (tty.isPresent()) {
      char[] typed = tty.get().readPassword(PROMPT);
      if (typed == null) {
        throw new PairdException(
            ErrorCode.USAGE, "pair: no key: the input ended before one was" + " typed");
      }
      return typed;
    }
    try {
      return firstLine(stdin.get(), "standard input");
    } catch (IOException e) {
      throw new PairdException(
          ErrorCode.USAGE,
          "pair: cannot read the key from standard input: " + FileProblems.reason(e),
          e);
    }
  }

  /**
   * The first line of {@code file}, which must be a regular file (not a link to one) of the user
   * running pairctl that nobody else may read or write, its group included: a key another user
   * could read, they could also use first. It must also lie in directories that nobody else may
   * change (see {@link #inPrivateDirectories}), so that the file checked is the file read: it is
   * read by the path checked, with its directory's links resolved, and opened without following a
   * link in its own place.
   */
  char[] fromFile(Path file) throws PairdException {
    try {
      int self = (Integer) Files.getAttribute(PROC_SELF, "unix:uid");
      Path checked = inPrivateDirectories(file, self);
      // One look at the file, not following a link: what is checked is one state of it, and it
      // stays that file until it is opened, as nobody else may change the directories above it.
      Map<String, Object> attributes =
          Files.readAttributes(
              checked, "unix:isSymbolicLink,isRegularFile,mode,uid", LinkOption.NOFOLLOW_LINKS);
      if ((Boolean) attributes.get("isSymbolicLink")) {
        throw new PairdException(
            ErrorCode.USAGE,
            "pair: --key-file "
                + file
                + " is a symbolic link; give the key file itself, private to you (chmod 600)");
      }
      if (!(Boolean) attributes.get("isRegularFile")) {
        throw new PairdException(
            ErrorCode.USAGE, "pair: --key-file " + file + " is not a regular" + " file");
      }
      int mode = (Integer) attributes.get("mode");
      if ((mode & 0066) != 0) {
        throw new PairdException(
            ErrorCode.USAGE,
            "pair: --key-file "
                + file
                + " is open to other"
                + " users (mode "
                + String.format(Locale.ROOT, "%04o", mode & 07777)
                + "), who could read the key and"
                + " use it first; make it private (chmod 600 "
                + file
                + ") and, as this key may be"
                + " known, make a new one on the other device");
      }
      int owner = (Integer) attributes.get("uid");
      if (owner != self) {
        throw new PairdException(
            ErrorCode.USAGE,
            "pair: --key-file "
                + file
                + " belongs to uid "
                + owner
                + ", not to you (uid "
                + self
                + "), who could read the key and use it first; keep the key in a file of"
                + " your own (chmod 600) and, as this key may be known, make a new one on the"
                + " other device");
      }
      try (InputStream in = new UnbufferedFile(checked)) {
        return firstLine(in, "--key-file " + file);
      }
    } catch (IOException e) {
      throw new PairdException(
          ErrorCode.USAGE,
          "pair: cannot read --key-file " + file + ": " + FileProblems.reason(e, file),
          e);
    }
  }

  /**
   * {@code file} in its directory's real path, once every directory of that path, up to {@code /},
   * has been found to belong to root or to {@code self} and to be writable by nobody else unless it
   * is sticky (as {@code /tmp}): the rule of OpenSSH's StrictModes. Whoever may write to a
   * directory on the way could put another file (or a FIFO, on which pairctl would hang) in the key
   * file's place between the checks and the read. Links in the path as given are followed once, to
   * find the real path, and not again: whoever may repoint one changes nothing.
   */
  private static Path inPrivateDirectories(Path file, int self) throws PairdException, IOException {
    Path absolute = file.toAbsolutePath();
    Path name = absolute.getFileName();
    if (name == null) {
      throw new PairdException(
          ErrorCode.USAGE, "pair: --key-file " + file + " is not a regular file");
    }
    Path real = absolute.getParent().toRealPath();
    Optional<WritableDirectories.Flaw> flaw;
    try {
      flaw = WritableDirectories.check(real, WritableDirectories.rootOr(self), true);
    } catch (NotDirectoryException e) {
      // A file given as the directory (FILE/key), or a directory replaced since the path was
      // resolved.
      throw new PairdException(
          ErrorCode.USAGE,
          "pair: cannot read --key-file " + file + ": " + e.getFile() + " is not a directory");
    } catch (FileSystemException e) {
      throw new PairdException(
          ErrorCode.USAGE,
          "pair: cannot check "
              + e.getFile()
              + ", on the way to --key-file "
              + file
              + ": "
              + FileProblems.reason(e)
              + "; keep the key in a directory of your own, such as your home",
          e);
    }
    if (flaw.isPresent()) {
      WritableDirectories.Flaw found = flaw.get();
      String where =
          "pair: --key-file "
              + file
              + (found.first() ? " is in " : " lies under ")
              + found.directory()
              + ", which ";
      String risk =
          ": they could put another file in the key file's place between pairctl's check and its"
              + " read; ";
      if (found.foreignOwner()) {
        throw new PairdException(
            ErrorCode.USAGE,
            where
                + "belongs neither to you (uid "
                + self
                + ") nor to root"
                + found.state()
                + risk
                + "keep the key in a directory of your own, such as your home");
      }
      throw new PairdException(
          ErrorCode.USAGE,
          where
              + found.writers()
              + " may write to"
              + found.state()
              + risk
              + "make it private (chmod go-w "
              + found.directory()
              + ") or keep the key in a directory of your own, such as your home");
    }
    return real.resolve(name);
  }

  private static final Path PROC_SELF = Path.of("/proc/self");

  /**
   * A file read a byte at a time through a one-byte direct buffer of its own, wiped on close: a
   * channel reading into a heap array would go through a temporary direct buffer that the JDK keeps
   * for the thread, with the key's last byte in it. Opened without following links.
   */
  private static final class UnbufferedFile extends InputStream {
    private final FileChannel channel;
    private final ByteBuffer one = ByteBuffer.allocateDirect(1);

    UnbufferedFile(Path file) throws IOException {
      channel = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
    }

    @Override
    public int read() throws IOException {
      int n;
      do {
        one.clear();
        n = channel.read(one);
      } while (n == 0);
      return n < 0 ? -1 : one.get(0) & 0xff;
    }

    /** One byte at most: the key is read a byte at a time anyway. */
    @Override
    public int read(byte[] into, int offset, int length) throws IOException {
      Objects.checkFromIndexSize(offset, length, into.length);
      if (length == 0) {
        return 0;
      }
      int b = read();
      if (b < 0) {
        return -1;
      }
      into[offset] = (byte) b;
      return 1;
    }

    @Override
    public void close() throws IOException {
      one.put(0, (byte) 0);
      channel.close();
    }
  }

  /**
   * The first line of {@code in}, without its line end and without the byte-order mark that some
   * editors start a UTF-8 file with (invisible, it would be counted as a character of the key),
   * decoded as UTF-8.
   */
  private static char[] firstLine(InputStream in, String what) throws IOException, PairdException {
    byte[] line = new byte[MAX_LINE_BYTES];
    int length = 0;
    try {
      int b;
      while ((b = in.read()) >= 0 && b != '\n') {
        if (length == line.length) {
          throw new PairdException(
              ErrorCode.USAGE,
              "pair: the first line of "
                  + what
                  + " is"
                  + " longer than "
                  + MAX_LINE_BYTES
                  + " bytes, so it is not a key");
        }
        line[length++] = (byte) b;
      }
      if (b < 0 && length == 0) {
        throw new PairdException(
            ErrorCode.USAGE,
            "pair: no key: "
                + what
                + " is empty; pipe the"
                + " key to pairctl as one line, or run it on a terminal to be asked for it");
      }
      if (length > 0 && line[length - 1] == '\r') {
        length--;
      }
      boolean bom =
          length >= 3 && line[0] == (byte) 0xef && line[1] == (byte) 0xbb && line[2] == (byte) 0xbf;
      return bom ? decode(line, 3, length - 3) : decode(line, 0, length);
    } finally {
      Arrays.fill(line, (byte) 0);
    }
  }

  /** UTF-8 into a char array of its own; malformed bytes become U+FFFD, which no key has. */
  private static char[] decode(byte[] bytes, int offset, int length) {
    CharsetDecoder decoder =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPLACE)
            .onUnmappableCharacter(CodingErrorAction.REPLACE);
    char[] chars = new char[length];
    CharBuffer out = CharBuffer.wrap(chars);
    decoder.decode(ByteBuffer.wrap(bytes, offset, length), out, true);
    decoder.flush(out);
    if (out.position() == chars.length) {
      return chars;
    }
    char[] exact = Arrays.copyOf(chars, out.position());
    Arrays.fill(chars, '\0');
    return exact;
  }
}
