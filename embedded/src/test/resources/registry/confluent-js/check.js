// Run by ConfluentJsClientIT: an independent Confluent client (@kafkajs/confluent-schema-registry) against our
// registry. Input: one JSON argument; output: one JSON line on stdout with what the client saw.
'use strict';
const { SchemaRegistry, SchemaType } = require('@kafkajs/confluent-schema-registry');

async function main() {
  const input = JSON.parse(process.argv[2]);
  const registry = new SchemaRegistry({ host: input.url });
  const schema = { type: SchemaType.AVRO, schema: input.schema };

  const { id } = await registry.register(schema, { subject: input.subject });
  const latestId = await registry.getLatestSchemaId(input.subject);
  const idBySchema = await registry.getRegistryIdBySchema(input.subject, schema);
  const versionOneId = await registry.getRegistryId(input.subject, 1);
  const readBack = await registry.getSchema(id);

  // A record our AvroSerializer wrote, decoded here by the writer schema id in its Confluent header.
  const decoded = await registry.decode(Buffer.from(input.javaPayload, 'base64'));
  // And one written here, which our AvroDeserializer must decode.
  const encoded = await registry.encode(input.javaSchemaId, input.recordToEncode);

  process.stdout.write(JSON.stringify({
    id, latestId, idBySchema, versionOneId,
    readBackName: readBack.name,
    decoded,
    encoded: encoded.toString('base64'),
  }, (key, value) => (typeof value === 'bigint' ? value.toString() : value)) + '\n');
}

main().catch((error) => {
  process.stderr.write('confluent-js check failed: ' + (error && error.stack ? error.stack : error) + '\n');
  process.exit(1);
});
