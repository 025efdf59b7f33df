// Catalogue API: an Express service with the mistakes backlint exists to catch.
import axios from "axios";
import { exec } from "child_process";
import cors from "cors";
import crypto from "crypto";
import express, { Request, Response } from "express";
import fs from "fs";
import https from "https";
import { PrismaClient } from "@prisma/client";
import { Pool } from "pg";

const prisma = new PrismaClient();
const app = express();

// Read once at start-up: fine.
const config = JSON.parse(fs.readFileSync("./config.json", "utf8"));

app.use(cors({ origin: true, credentials: true }));
app.use(express.json());

const inventory = axios.create({
  baseURL: config.inventoryUrl,
  httpsAgent: new https.Agent({ rejectUnauthorized: false }),
});

app.get("/products", async (req: Request, res: Response) => {
  const products = await prisma.product.findMany({ where: { active: true } });
  const withStock = [];
  for (const product of products) {
    // One query per product.
    const stock = await prisma.stock.findUnique({ where: { productId: product.id } });
    withStock.push({ ...product, stock: stock?.quantity ?? 0 });
  }
  res.json(withStock);
});

app.get("/products/:id/manual", async (req: Request, res: Response) => {
  // Blocks the event loop for every request.
  const pdf = fs.readFileSync(`/srv/manuals/${req.params.id}.pdf`);
  res.type("pdf").send(pdf);
});

app.post("/products/:id/thumbnail", (req: Request, res: Response) => {
  exec(`convert /srv/images/${req.params.id}.png -resize 200x200 /srv/thumbs/${req.params.id}.png`, (err) => {
    if (err) {
      res.status(500).json({ error: err.message, stack: err.stack });
      return;
    }
    res.sendStatus(204);
  });
});

app.post("/password-reset", async (req: Request, res: Response) => {
  const resetToken = Math.random().toString(36).slice(2);
  const digest = crypto.createHash("md5").update(req.body.password).digest("hex");
  try {
    await axios.post(`${config.mailerUrl}/send`, { to: req.body.email, resetToken });
  } catch (e) {}
  res.json({ ok: true, digest });
});

app.get("/inventory/:sku", async (req: Request, res: Response) => {
  const { data } = await inventory.get(`/sku/${encodeURIComponent(req.params.sku)}`);
  res.json(data);
});

app.get("/reports/daily", async (req: Request, res: Response) => {
  // A new connection pool for every request: connections pile up under load.
  const pool = new Pool({ connectionString: config.reportsDatabaseUrl });
  const { rows } = await pool.query("SELECT day, total FROM daily_totals ORDER BY day DESC LIMIT 30");
  await pool.end();
  res.json(rows);
});

app.listen(3000);
