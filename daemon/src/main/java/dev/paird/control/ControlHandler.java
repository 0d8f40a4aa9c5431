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
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves one control connection: one JSON request per line, answered in order, one at a time. Lines
 * that arrive while a request is being executed wait in a small queue; when it fills up the channel
 * stops reading (TCP then pushes back on the client), and a client that pipelines beyond it anyway
 * is told so and disconnected.
 *
 * <p>A connection with nothing in flight must complete its next request line within the request
 * timeout, counted from its accept or from the previous answer. Bytes that do not complete a line
 * do not restart the count, so a client trickling one byte a minute is closed all the same.
 *
 * <p>Every state-changing command is written to the {@code paird.audit} log with the caller's uid
 * and pid. Audit lines and error messages never contain keys.
 */
final class ControlHandler extends SimpleChannelInboundHandler<ByteBuf> {
  /** Requests that may wait behind the one in flight; reading pauses once this many wait. */
  static final int MAX_QUEUED = 8;

  private static final Logger log = LoggerFactory.getLogger(ControlHandler.class);
  private static final Logger audit = LoggerFactory.getLogger("paird.audit");

  private final ControlService service;
  private final Duration requestTimeout;
  private final ArrayDeque<ByteBuf> queued = new ArrayDeque<>();
  private Caller caller = Caller.UNKNOWN;
  private boolean inFlight;

  /** Closes the connection unless a request line arrives first; null while one is served. */
  private ScheduledFuture<?> deadline;

  ControlHandler(ControlService service, Duration requestTimeout) {
    this.service = service;
    this.requestTimeout = requestTimeout;
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
    if (inFlight || !queued.isEmpty()) {
      if (queued.size() >= MAX_QUEUED) {
        ctx.writeAndFlush(
                Unpooled.wrappedBuffer(
                    ControlCodec.encode(
                        ControlCodec.error(
                            null,
                            ErrorCode.BUSY,
                            "more than "
                                + MAX_QUEUED
                                + " requests sent ahead of their answers;"
                                + " wait for each answer before sending the next request"))))
            .addListener(io.netty.channel.ChannelFutureListener.CLOSE);
        return;
      }
      queued.add(line.retain());
      if (queued.size() >= MAX_QUEUED) {
        ctx.channel().config().setAutoRead(false);
      }
      return;
    }
    process(ctx, line);
    armDeadlineIfIdle(ctx);
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
      request = ControlRequest.parse(JsonFields.of(parsed.root()), parsed.key());
      key = parsed.key();
    } catch (PairdException e) {
      if (parsed != null) {
        parsed.close();
      }
      respond(ctx, ControlCodec.error(id, e.code(), e.getMessage()));
      return;
    } finally {
      Arrays.fill(bytes, (byte) 0);
    }
    JsonNode requestId = id;
    inFlight = true;
    CompletableFuture<ObjectNode> result;
    try {
      result = service.execute(request, key);
    } catch (RuntimeException e) {
      result = CompletableFuture.failedFuture(e);
    }
    result.whenComplete(
        (value, failure) ->
            ctx.executor()
                .execute(
                    () -> {
                      ObjectNode response;
                      if (failure == null) {
                        response = ControlCodec.ok(requestId, value);
                        auditLine(request, value, null);
                      } else {
                        Throwable cause =
                            failure instanceof CompletionException && failure.getCause() != null
                                ? failure.getCause()
                                : failure;
                        PairdException error =
                            cause instanceof PairdException p
                                ? p
                                : new PairdException(
                                    ErrorCode.INTERNAL, "internal error; see the daemon's log");
                        if (!(cause instanceof PairdException)) {
                          log.error(
                              "control command {} failed", request.command().wireName(), cause);
                        }
                        response = ControlCodec.error(requestId, error.code(), error.getMessage());
                        auditLine(request, null, error);
                      }
                      inFlight = false;
                      respond(ctx, response);
                      drain(ctx);
                    }));
  }

  /** Serves the queued requests until one goes asynchronous or none is left. */
  private void drain(ChannelHandlerContext ctx) {
    ByteBuf next;
    while (!inFlight && (next = queued.poll()) != null) {
      try {
        process(ctx, next);
      } finally {
        next.release();
      }
    }
    if (queued.size() < MAX_QUEUED && !ctx.channel().config().isAutoRead()) {
      ctx.channel().config().setAutoRead(true);
    }
    armDeadlineIfIdle(ctx);
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
    queued.forEach(ByteBuf::release);
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

  private static void respond(ChannelHandlerContext ctx, JsonNode response) {
    if (ctx.channel().isActive()) {
      ctx.writeAndFlush(Unpooled.wrappedBuffer(ControlCodec.encode(response)));
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof TooLongFrameException) {
      // The line decoder skips to the next newline; the connection stays usable. The answer
      // may overtake one still being computed; the error carries no id, so clients can tell.
      respond(
          ctx,
          ControlCodec.error(
              null,
              ErrorCode.REQUEST_TOO_LARGE,
              "request is longer than "
                  + ControlProtocol.MAX_REQUEST_BYTES
                  + " bytes; send one JSON object per line"));
      return;
    }
    log.debug("control connection from uid {} failed; closing it", caller.uid(), cause);
    ctx.close();
  }
}
