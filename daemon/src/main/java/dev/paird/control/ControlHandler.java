package dev.paird.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.paird.api.ControlProtocol;
import dev.paird.api.ControlRequest;
import dev.paird.api.ErrorCode;
import dev.paird.api.PairdException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves one control connection: one JSON request per line, answered in order, one at a time. Lines
 * that arrive while a request is being executed wait in a small queue; when it fills up the channel
 * stops reading (TCP then pushes back on the client). Lines the decoder had already read beyond it
 * are not run: the requests before them are served and answered, then the connection gets one
 * {@code busy} without an {@code id} and is closed, so that everything answered ran and nothing
 * after the answers did. A line longer than allowed takes its place in the queue and is answered
 * {@code request_too_large} in its turn.
 *
 * <p>A connection with nothing in flight must complete its next request line within the request
 * timeout, counted from its accept or from the previous answer. Bytes that do not complete a line
 * do not restart the count, so a client trickling one byte a minute is closed all the same.
 *
 * <p>While the channel is not writable (more of its answers wait to be written than the write
 * buffer's high water mark: the client is not reading them), no request is run: lines wait in the
 * queue as behind a request in flight, and reading stops. Otherwise a client that sends requests
 * and never reads would have paird hold every answer in memory, without bound. A client that leaves
 * its answers unread for the request timeout is closed.
 *
 * <p>A {@code pair} or {@code ping} is abandoned (its future cancelled, which closes its connection
 * to the other device) when the connection that sent it closes before its answer, and when it is
 * still running {@link #PEER_ANSWER_BOUND} after the request; it is then answered {@code timeout}.
 *
 * <p>Every state-changing command is written to the {@code paird.audit} log with the caller's uid
 * and pid. Audit lines and error messages never contain keys.
 */
final class ControlHandler extends SimpleChannelInboundHandler<ByteBuf> {
  /** Requests that may wait behind the one in flight; reading pauses once this many wait. */
  static final int MAX_QUEUED = 8;

  /**
   * How long paird takes at most to answer a {@code pair} or {@code ping}, from the request,
   * whatever its settings and however many addresses the host has: past it the attempt is abandoned
   * and answered {@code timeout}. Shorter than pairctl's wait (90 s), so that pairctl hears it.
   */
  static final Duration PEER_ANSWER_BOUND = Duration.ofSeconds(85);

  private static final Logger log = LoggerFactory.getLogger(ControlHandler.class);

  /** What a caller is told of a failure that is paird's own fault; the log says more. */
  private static final String INTERNAL_MESSAGE = "internal error; see the daemon's log";

  private static final Logger audit = LoggerFactory.getLogger("paird.audit");

  private final ControlService service;
  private final Duration requestTimeout;
  private final RequestReader requests;
  private final UnreadAnswers unread;

  /** Lines waiting behind the one in flight, in order; an empty one stands for a line too long. */
  private final ArrayDeque<Optional<ByteBuf>> queued = new ArrayDeque<>();

  private Caller caller = Caller.UNKNOWN;
  private boolean inFlight;

  /**
   * The pair or ping being served; cancelled, which abandons it, if the connection closes before
   * its answer.
   */
  private CompletableFuture<ObjectNode> current;

  /** Set once a line arrived beyond the queue: no more lines are run on this connection. */
  private boolean overflowed;

  /** Set once the connection has been told busy for {@link #overflowed}; it closes after that. */
  private boolean toldBusy;

  /**
   * Set once the client has shut down its side of the connection (a half-close, as {@code nc -N}
   * and {@code socat} make at the end of their input): no more lines come. See {@link #endIfDone}.
   */
  private boolean inputEnded;

  /** Whether the request in flight waits on something outside paird: pair, ping, wait-key. */
  private boolean inFlightWaits;

  /** Set once the connection is closing after a half-close: no more lines are run. */
  private boolean ending;

  /** Closes the connection unless a request line arrives first; null while one is served. */
  private ScheduledFuture<?> deadline;

  /** Closes the connection unless the client reads its answers first; null while writable. */
  private ScheduledFuture<?> unreadDeadline;

  /**
   * @param unread the bound on long answers held for all connections, shared by them
   */
  ControlHandler(ControlService service, Duration requestTimeout, UnreadAnswers unread) {
    this(service, requestTimeout, unread, ControlRequest::parse);
  }

  /** As above, with {@code requests} reading each request from its parsed line. */
  ControlHandler(
      ControlService service,
      Duration requestTimeout,
      UnreadAnswers unread,
      RequestReader requests) {
    this.service = service;
    this.requestTimeout = requestTimeout;
    this.unread = unread;
    this.requests = requests;
  }

  /** Makes a request of a parsed line: {@link ControlRequest#parse}, or a test's stand-in. */
  @FunctionalInterface
  interface RequestReader {
    ControlRequest read(Object fields, char[] key) throws PairdException;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) throws Exception {
    Caller known = ctx.channel().attr(Caller.ATTRIBUTE).get();
    caller = known == null ? Caller.UNKNOWN : known;
    armDeadline(ctx);
    super.channelActive(ctx);
  }

  /** Starts the wait for the next complete request line. */
  private void armDeadline(ChannelHandlerContext ctx) {
    cancelDeadline();
    deadline =
        ctx.executor()
            .schedule(
                () -> {
                  log.debug(
                      "control connection of uid {} sent no complete request within {}; closing it",
                      caller.uid(),
                      requestTimeout);
                  ctx.close();
                },
                requestTimeout.toNanos(),
                TimeUnit.NANOSECONDS);
  }

  private void cancelDeadline() {
    if (deadline != null) {
      deadline.cancel(false);
      deadline = null;
    }
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, ByteBuf line) {
    cancelDeadline();
    if (overflowed || inFlight || !queued.isEmpty() || answersUnread(ctx)) {
      enqueue(ctx, Optional.of(line));
      return;
    }
    process(ctx, line);
    armDeadlineIfIdle(ctx);
  }

  /**
   * Puts {@code line} (empty: a line too long) behind the request in flight, or, past the queue's
   * bound, wipes it and stops running this connection's lines.
   */
  private void enqueue(ChannelHandlerContext ctx, Optional<ByteBuf> line) {
    if (overflowed || queued.size() >= MAX_QUEUED) {
      line.ifPresent(ControlHandler::wipe); // the caller releases it
      overflowed = true;
      ctx.channel().config().setAutoRead(false);
      return;
    }
    queued.add(line.map(ByteBuf::retain));
    if (queued.size() >= MAX_QUEUED) {
      ctx.channel().config().setAutoRead(false);
    }
  }

  private static void wipe(ByteBuf line) {
    line.setZero(line.readerIndex(), line.readableBytes());
  }

  /** Handles one request line; sets {@code inFlight} until its answer has been written. */
  private void process(ChannelHandlerContext ctx, ByteBuf line) {
    JsonNode id = null;
    ControlRequest request;
    char[] key;
    byte[] bytes = ByteBufUtil.getBytes(line);
    // A pair request's line holds its key: wiped in the socket's buffer and in this copy once
    // parsed. The key itself moves on as a char[] that the service wipes.
    line.setZero(line.readerIndex(), line.readableBytes());
    ControlCodec.RequestLine parsed = null;
    try {
      parsed = ControlCodec.parseLine(bytes);
      id = parsed.root().get("id");
      request = requests.read(JsonFields.of(parsed.root()), parsed.key());
      key = parsed.key();
    } catch (PairdException e) {
      if (parsed != null) {
        parsed.close();
      }
      respond(ctx, ControlCodec.error(id, e.code(), e.getMessage()));
      return;
    } catch (RuntimeException e) {
      // A bug in reading the request. It is still answered, as every request is, and without
      // Java's text. The log gets the exception's class and stack but not its message, which
      // could quote the request, and a pair request holds a key.
      if (parsed != null) {
        parsed.close();
      }
      log.error("control request from uid {} could not be read", caller.uid(), withoutMessage(e));
      respond(ctx, ControlCodec.error(id, ErrorCode.INTERNAL, INTERNAL_MESSAGE));
      return;
    } finally {
      Arrays.fill(bytes, (byte) 0);
    }
    JsonNode requestId = id;
    if (inputEnded && waits(request)) {
      // The client has shut down its side: a request that waits is ended as by a close.
      parsed.close();
      abandonedLine(request);
      ending = true;
      closeAfterWrites(ctx);
      return;
    }
    inFlight = true;
    inFlightWaits = waits(request);
    CompletableFuture<ObjectNode> result;
    try {
      result = service.execute(request, key);
    } catch (RuntimeException e) {
      result = CompletableFuture.failedFuture(e);
    }
    // Only a pair or a ping is abandoned, with its connection or at its bound; other commands
    // finish as they would.
    boolean[] overdue = {false};
    ScheduledFuture<?> bound = null;
    if (request instanceof ControlRequest.Pair || request instanceof ControlRequest.Ping) {
      current = result;
      CompletableFuture<ObjectNode> attempt = result;
      bound =
          ctx.executor()
              .schedule(
                  () -> overdue[0] = attempt.cancel(false),
                  PEER_ANSWER_BOUND.toNanos(),
                  TimeUnit.NANOSECONDS);
    } else {
      current = null;
    }
    ScheduledFuture<?> answerBound = bound;
    result.whenComplete(
        (value, failure) ->
            ctx.executor()
                .execute(
                    () -> {
                      if (answerBound != null) {
                        answerBound.cancel(false);
                      }
                      ObjectNode response;
                      if (failure == null) {
                        response = ControlCodec.ok(requestId, value);
                        auditLine(request, value, null);
                      } else if (failure instanceof CancellationException && overdue[0]) {
                        PairdException error = overdue(request);
                        response = ControlCodec.error(requestId, error.code(), error.getMessage());
                        auditLine(request, null, error);
                      } else if (failure instanceof CancellationException) {
                        // Cancelled by channelInactive: there is nobody left to answer.
                        response = null;
                        abandonedLine(request);
                      } else {
                        Throwable cause =
                            failure instanceof CompletionException && failure.getCause() != null
                                ? failure.getCause()
                                : failure;
                        PairdException error =
                            cause instanceof PairdException p
                                ? p
                                : new PairdException(ErrorCode.INTERNAL, INTERNAL_MESSAGE);
                        if (!(cause instanceof PairdException)) {
                          log.error(
                              "control command {} failed", request.command().wireName(), cause);
                        }
                        response = ControlCodec.error(requestId, error.code(), error.getMessage());
                        auditLine(request, null, error);
                      }
                      inFlight = false;
                      current = null;
                      if (response != null) {
                        respond(ctx, response);
                      }
                      drain(ctx);
                    }));
  }

  /**
   * Serves the queued requests until one goes asynchronous or none is left; then, if lines arrived
   * beyond the queue, says so and closes.
   */
  private void drain(ChannelHandlerContext ctx) {
    Optional<ByteBuf> next;
    while (!inFlight && !ending && !answersUnread(ctx) && (next = queued.poll()) != null) {
      if (next.isEmpty()) {
        respond(ctx, tooLarge());
        continue;
      }
      try {
        process(ctx, next.get());
      } finally {
        next.get().release();
      }
    }
    if (overflowed) {
      if (!inFlight && queued.isEmpty() && !toldBusy && ctx.channel().isActive()) {
        toldBusy = true;
        write(
                ctx,
                ControlCodec.encode(
                    ControlCodec.error(
                        null,
                        ErrorCode.BUSY,
                        "more than "
                            + MAX_QUEUED
                            + " requests were sent ahead of their answers; those answered"
                            + " ran, the rest did not: send them again, each after the"
                            + " answer to the one before")))
            .addListener(ChannelFutureListener.CLOSE);
        // The close waits for that write, which a client that reads nothing never lets finish:
        // the request deadline closes the connection all the same.
        armDeadline(ctx);
      }
      return;
    }
    // Once the client has shut down its side there is nothing left to read: the transport has
    // stopped watching for input, and asking it to read again fails, closing the connection
    // before the queued requests are answered.
    if (!inputEnded
        && queued.size() < MAX_QUEUED
        && !answersUnread(ctx)
        && !ctx.channel().config().isAutoRead()) {
      ctx.channel().config().setAutoRead(true);
    }
    armDeadlineIfIdle(ctx);
    endIfDone(ctx);
  }

  /** Whether {@code request} waits on another device or on a key's use: pair, ping, wait-key. */
  private static boolean waits(ControlRequest request) {
    return request instanceof ControlRequest.Pair
        || request instanceof ControlRequest.Ping
        || request instanceof ControlRequest.WaitKey;
  }

  /**
   * Whether more of this connection's answers wait to be written than the channel's write buffer
   * allows: the client is not reading them. No request runs, and nothing is read, until it has read
   * enough of them.
   */
  private static boolean answersUnread(ChannelHandlerContext ctx) {
    return !ctx.channel().isWritable();
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
    if (answersUnread(ctx)) {
      ctx.channel().config().setAutoRead(false);
      if (unreadDeadline == null) {
        unreadDeadline =
            ctx.executor()
                .schedule(
                    () -> {
                      log.debug(
                          "control connection of uid {} left its answers unread for {}; closing"
                              + " it",
                          caller.uid(),
                          requestTimeout);
                      ctx.close();
                    },
                    requestTimeout.toNanos(),
                    TimeUnit.NANOSECONDS);
      }
    } else {
      cancelUnreadDeadline();
      drain(ctx);
    }
    super.channelWritabilityChanged(ctx);
  }

  private void cancelUnreadDeadline() {
    if (unreadDeadline != null) {
      unreadDeadline.cancel(false);
      unreadDeadline = null;
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
    if (event instanceof ChannelInputShutdownEvent) {
      inputEnded = true;
      endIfDone(ctx);
    }
    super.userEventTriggered(ctx, event);
  }

  /**
   * After the client's half-close (docs/CONTROL.md, Framing): a request that waits (pair, ping,
   * wait-key) is ended as a close ends it, since a client that has gone looks the same to paird;
   * every other request read is answered, in order, and then the connection is closed.
   */
  private void endIfDone(ChannelHandlerContext ctx) {
    if (!inputEnded || ending) {
      return;
    }
    if (inFlight && inFlightWaits) {
      ending = true;
      ctx.close();
    } else if (!inFlight && queued.isEmpty()) {
      ending = true;
      closeAfterWrites(ctx);
    }
  }

  private static void closeAfterWrites(ChannelHandlerContext ctx) {
    ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
  }

  /** With nothing in flight or queued, the next request line is due within the timeout. */
  private void armDeadlineIfIdle(ChannelHandlerContext ctx) {
    if (!inFlight && queued.isEmpty() && ctx.channel().isActive()) {
      armDeadline(ctx);
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    cancelDeadline();
    cancelUnreadDeadline();
    if (current != null) {
      // The requester has gone: a pair or ping it asked for is abandoned (docs/CONTROL.md).
      current.cancel(false);
    }
    for (Optional<ByteBuf> line : queued) {
      line.ifPresent(
          l -> {
            wipe(l);
            l.release();
          });
    }
    queued.clear();
    super.channelInactive(ctx);
  }

  private void auditLine(ControlRequest request, ObjectNode result, PairdException error) {
    if (!request.command().changesState()) {
      return;
    }
    String outcome = error == null ? "ok" : "error=" + error.code().wireName();
    audit.info(
        "uid={} pid={} command={}{} result={}",
        caller.uid(),
        caller.pid(),
        request.command().wireName(),
        Audit.describe(request, result),
        outcome);
  }

  /** The answer to a pair or ping abandoned at {@link #PEER_ANSWER_BOUND}. */
  private static PairdException overdue(ControlRequest request) {
    return new PairdException(
        ErrorCode.TIMEOUT,
        request.command().wireName()
            + " did not finish within "
            + PEER_ANSWER_BOUND.toSeconds()
            + " s, paird's bound for it, and was abandoned; the other device or the network is"
            + " slow (connect_timeout applies to each of the host's addresses in turn, then"
            + " exchange_timeout)");
  }

  /**
   * Audits a request whose connection closed before its answer: {@code result=abandoned}. A {@code
   * pair} then trusts nobody, unless saving the peer had begun (the daemon's log says so).
   */
  private void abandonedLine(ControlRequest request) {
    log.debug(
        "control connection of uid {} closed before the answer to {}; abandoned it",
        caller.uid(),
        request.command().wireName());
    if (!request.command().changesState()) {
      return;
    }
    audit.info(
        "uid={} pid={} command={}{} result=abandoned",
        caller.uid(),
        caller.pid(),
        request.command().wireName(),
        Audit.describe(request, null));
  }

  private static ObjectNode tooLarge() {
    return ControlCodec.error(
        null,
        ErrorCode.REQUEST_TOO_LARGE,
        "request is longer than "
            + ControlProtocol.MAX_REQUEST_BYTES
            + " bytes; send one JSON object per line");
  }

  private void respond(ChannelHandlerContext ctx, JsonNode response) {
    if (!ctx.channel().isActive()) {
      ControlCodec.discard(response);
      return;
    }
    byte[] bytes = ControlCodec.encode(response);
    int length = bytes.length;
    if (length <= UnreadAnswers.SHORT) {
      write(ctx, bytes);
    } else if (unread.take(length)) {
      write(ctx, bytes).addListener(written -> unread.give(length));
    } else {
      Arrays.fill(bytes, (byte) 0);
      log.info(
          "control connection of uid {}: an answer of {} bytes did not fit in the {} bytes of"
              + " answers held unread for all clients; answered busy",
          caller.uid(),
          length,
          UnreadAnswers.BOUND);
      write(ctx, ControlCodec.encode(unreadBusy(response.get("id"), length)));
    }
  }

  /** The answer to a request whose long answer did not fit in {@link UnreadAnswers#BOUND}. */
  private static ObjectNode unreadBusy(JsonNode id, int length) {
    return ControlCodec.error(
        id,
        ErrorCode.BUSY,
        "paird already holds "
            + (UnreadAnswers.BOUND >> 20)
            + " MiB of answers that other control connections have not read, its bound, and"
            + " this answer of "
            + ((length + (1 << 20) - 1) >> 20)
            + " MiB would not fit; try again once they have read them or closed");
  }

  /**
   * Writes an answer's bytes, then zeroes {@code bytes} and, once written or failed, the buffer
   * they were written from: a {@code new-key} answer holds the key. The transport writes a direct
   * buffer as it is, where it would copy a heap one into a buffer of the pool and let go of it
   * unwiped.
   */
  private static ChannelFuture write(ChannelHandlerContext ctx, byte[] bytes) {
    ByteBuf out = ctx.alloc().directBuffer(bytes.length, bytes.length);
    try {
      out.writeBytes(bytes);
    } finally {
      Arrays.fill(bytes, (byte) 0);
    }
    // Kept until the write is over, whether the transport still holds the buffer or not.
    ByteBuf kept = out.retain();
    return ctx.writeAndFlush(out)
        .addListener(
            written -> {
              kept.setZero(0, kept.capacity());
              kept.release();
            });
  }

  /**
   * {@code e}'s class and where it was thrown, without its message or causes, which may quote the
   * request a caller sent.
   */
  private static Throwable withoutMessage(Throwable e) {
    return new Withheld(e);
  }

  /** An exception's class and stack trace, its message and causes withheld. */
  private static final class Withheld extends Exception {
    private static final long serialVersionUID = 1L;

    Withheld(Throwable e) {
      super(e.getClass().getName() + " (its message withheld)", null, false, true);
      setStackTrace(e.getStackTrace());
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof TooLongFrameException) {
      // The line decoder skips to the next newline; the connection stays usable. The answer
      // takes the line's turn, behind any request still being served.
      cancelDeadline();
      if (overflowed || inFlight || !queued.isEmpty() || answersUnread(ctx)) {
        enqueue(ctx, Optional.empty());
      } else {
        respond(ctx, tooLarge());
        armDeadlineIfIdle(ctx);
      }
      return;
    }
    log.debug("control connection from uid {} failed; closing it", caller.uid(), cause);
    ctx.close();
  }
}
