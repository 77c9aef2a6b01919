/** A local TCP or HTTP server on a free port for tests of how the client meets misbehaving servers. */
import type { Server, Socket } from "node:net"
import * as Effect from "effect/Effect"

/** A listening server for the test's scope; every socket it accepted is destroyed when it closes. */
export const listening = (make: (sockets: Set<Socket>) => Server) =>
  Effect.acquireRelease(
    Effect.async<{ server: Server; port: number; url: string; sockets: Set<Socket> }>((resume) => {
      const sockets = new Set<Socket>()
      const server = make(sockets)
      server.on("connection", (socket: Socket) => {
        sockets.add(socket)
        socket.on("close", () => sockets.delete(socket))
        socket.on("error", () => {})
      })
      server.listen(0, "127.0.0.1", () => {
        const address = server.address()
        const port = typeof address === "object" && address !== null ? address.port : 0
        resume(Effect.succeed({ server, port, url: `http://127.0.0.1:${port}`, sockets }))
      })
    }),
    ({ server, sockets }) =>
      Effect.async<void>((resume) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resume(Effect.void))
      })
  )
