"""The plainest idiomatic training loops a reader would write by hand, for comparison.

Written for this benchmark in the style of the well-known reference recipes:
PyTorch: a DataLoader, a model with four Linear layers, binary cross-entropy summed
over pixels and the batch, the closed-form KL, Adam, ``loss.item()`` every batch.
TensorFlow: a subclassed Keras model with a custom ``train_step`` and ``model.fit``.
Same architecture as ``vaebook``'s ``VAE(784, 20, hidden_dims=(400,))``.
"""

from __future__ import annotations

import numpy as np


# ------------------------------------------------------------------ PyTorch
def torch_reference(x_train, epochs, batch_size=128, lr=1e-3, hidden=400, latent=20):
    """Train the reference-style PyTorch VAE; returns the model (with encode/log_px_given_z)."""
    import torch
    import torch.nn.functional as F
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset

    dim = int(np.prod(x_train.shape[1:]))

    class RefVAE(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(dim, hidden)
            self.fc21 = nn.Linear(hidden, latent)
            self.fc22 = nn.Linear(hidden, latent)
            self.fc3 = nn.Linear(latent, hidden)
            self.fc4 = nn.Linear(hidden, dim)
            self.input_dim, self.latent_dim = dim, latent

        def encode(self, x):
            h = F.relu(self.fc1(x.reshape(-1, dim)))
            return self.fc21(h), self.fc22(h)

        def decode(self, z):
            return self.fc4(F.relu(self.fc3(z)))  # logits

        def log_px_given_z(self, x, z):
            return -F.binary_cross_entropy_with_logits(
                self.decode(z), x.reshape(-1, dim), reduction="none").sum(1)

    dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = RefVAE().to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    loader = DataLoader(TensorDataset(torch.as_tensor(x_train.reshape(len(x_train), dim))),
                        batch_size=batch_size, shuffle=True)
    for _ in range(epochs):
        model.train()
        train_loss = 0.0
        for (xb,) in loader:
            xb = xb.to(dev)
            opt.zero_grad()
            mu, logvar = model.encode(xb)
            z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
            bce = F.binary_cross_entropy_with_logits(model.decode(z), xb, reduction="sum")
            kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
            loss = bce + kld
            loss.backward()
            train_loss += loss.item()
            opt.step()
    model.eval()
    return model


# ------------------------------------------------------------------ TensorFlow
def tf_reference(x_train, epochs, batch_size=128, lr=1e-3, hidden=400, latent=20):
    """Train the reference-style Keras VAE (custom train_step + model.fit)."""
    import tensorflow as tf

    keras = tf.keras
    dim = int(np.prod(x_train.shape[1:]))

    class RefVAE(keras.Model):
        def __init__(self):
            super().__init__()
            self.enc = keras.Sequential([keras.layers.Dense(hidden, activation="relu"),
                                         keras.layers.Dense(2 * latent)])
            self.dec = keras.Sequential([keras.layers.Dense(hidden, activation="relu"),
                                         keras.layers.Dense(dim)])
            self.enc.build((None, dim))
            self.dec.build((None, latent))
            self.input_dim, self.latent_dim = dim, latent
            self.loss_tracker = keras.metrics.Mean(name="loss")

        def encode(self, x):
            return tf.split(self.enc(tf.reshape(x, [-1, dim])), 2, axis=1)

        def decode(self, z):
            return self.dec(z)

        def log_px_given_z(self, x, z):
            return -tf.reduce_sum(tf.nn.sigmoid_cross_entropy_with_logits(
                labels=tf.reshape(x, [-1, dim]), logits=self.decode(z)), axis=1)

        def call(self, x):
            mu, _ = self.encode(x)
            return self.decode(mu)

        @property
        def metrics(self):
            return [self.loss_tracker]

        def train_step(self, data):
            with tf.GradientTape() as tape:
                mu, logvar = self.encode(data)
                z = mu + tf.exp(0.5 * logvar) * tf.random.normal(tf.shape(mu))
                rec = -self.log_px_given_z(data, z)
                kl = -0.5 * tf.reduce_sum(1 + logvar - tf.square(mu) - tf.exp(logvar), axis=1)
                loss = tf.reduce_mean(rec + kl)
            grads = tape.gradient(loss, self.trainable_weights)
            self.optimizer.apply_gradients(zip(grads, self.trainable_weights, strict=True))
            self.loss_tracker.update_state(loss)
            return {"loss": self.loss_tracker.result()}

    model = RefVAE()
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=lr))
    model.fit(x_train.reshape(len(x_train), dim), epochs=epochs, batch_size=batch_size,
              shuffle=True, verbose=0)
    return model


# ------------------------------------------------------------------ conv VAEs
# The same network as vaebook's ConvVAE((28, 28), latent, channels=(32, 64)): two 4x4
# stride-2 convolutions, a linear layer to (mu, logvar); the decoder mirrors it.


def torch_conv_reference(x_train, epochs, batch_size=128, lr=1e-3, latent=16, c1=32, c2=64):
    """A reference-style PyTorch conv VAE: DataLoader, loss.item() every batch."""
    import torch
    import torch.nn.functional as F
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset

    class RefConvVAE(nn.Module):
        def __init__(self):
            super().__init__()
            self.enc = nn.Sequential(
                nn.Conv2d(1, c1, 4, 2, 1), nn.ReLU(), nn.Conv2d(c1, c2, 4, 2, 1), nn.ReLU(),
                nn.Flatten(), nn.Linear(c2 * 49, 2 * latent))
            self.dec = nn.Sequential(
                nn.Linear(latent, c2 * 49), nn.ReLU(), nn.Unflatten(1, (c2, 7, 7)),
                nn.ConvTranspose2d(c2, c1, 4, 2, 1), nn.ReLU(),
                nn.ConvTranspose2d(c1, 1, 4, 2, 1))
            self.input_dim, self.latent_dim = 784, latent

        def encode(self, x):
            return self.enc(x.reshape(-1, 1, 28, 28)).chunk(2, dim=1)

        def log_px_given_z(self, x, z):
            return -F.binary_cross_entropy_with_logits(
                self.dec(z).reshape(-1, 784), x.reshape(-1, 784), reduction="none").sum(1)

    dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = RefConvVAE().to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    loader = DataLoader(TensorDataset(torch.as_tensor(x_train.reshape(-1, 1, 28, 28))),
                        batch_size=batch_size, shuffle=True)
    for _ in range(epochs):
        model.train()
        total = 0.0
        for (xb,) in loader:
            xb = xb.to(dev)
            opt.zero_grad()
            mu, logvar = model.encode(xb)
            z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
            rec = -model.log_px_given_z(xb, z).sum()
            kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
            loss = (rec + kld) / len(xb)
            loss.backward()
            total += loss.item()
            opt.step()
    model.eval()
    return model


def tf_conv_reference(x_train, epochs, batch_size=128, lr=1e-3, latent=16, c1=32, c2=64):
    """A reference-style Keras conv VAE (the keras-io recipe: custom train_step + fit)."""
    import tensorflow as tf

    keras = tf.keras
    layers = keras.layers

    class RefConvVAE(keras.Model):
        def __init__(self):
            super().__init__()
            self.enc = keras.Sequential([
                layers.Reshape((28, 28, 1)),
                layers.Conv2D(c1, 4, 2, padding="same", activation="relu"),
                layers.Conv2D(c2, 4, 2, padding="same", activation="relu"),
                layers.Flatten(), layers.Dense(2 * latent)])
            self.dec = keras.Sequential([
                layers.Dense(c2 * 49, activation="relu"), layers.Reshape((7, 7, c2)),
                layers.Conv2DTranspose(c1, 4, 2, padding="same", activation="relu"),
                layers.Conv2DTranspose(1, 4, 2, padding="same"), layers.Flatten()])
            self.enc.build((None, 784))
            self.dec.build((None, latent))
            self.input_dim, self.latent_dim = 784, latent
            self.loss_tracker = keras.metrics.Mean(name="loss")

        def encode(self, x):
            return tf.split(self.enc(tf.reshape(x, [-1, 784])), 2, axis=1)

        def log_px_given_z(self, x, z):
            return -tf.reduce_sum(tf.nn.sigmoid_cross_entropy_with_logits(
                labels=tf.reshape(x, [-1, 784]), logits=self.dec(z)), axis=1)

        def call(self, x):
            return self.dec(self.encode(x)[0])

        @property
        def metrics(self):
            return [self.loss_tracker]

        def train_step(self, data):
            with tf.GradientTape() as tape:
                mu, logvar = self.encode(data)
                z = mu + tf.exp(0.5 * logvar) * tf.random.normal(tf.shape(mu))
                rec = -self.log_px_given_z(data, z)
                kl = -0.5 * tf.reduce_sum(1 + logvar - tf.square(mu) - tf.exp(logvar), axis=1)
                loss = tf.reduce_mean(rec + kl)
            grads = tape.gradient(loss, self.trainable_weights)
            self.optimizer.apply_gradients(zip(grads, self.trainable_weights, strict=True))
            self.loss_tracker.update_state(loss)
            return {"loss": self.loss_tracker.result()}

    model = RefConvVAE()
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=lr))
    model.fit(x_train.reshape(-1, 784), epochs=epochs, batch_size=batch_size, shuffle=True,
              verbose=0)
    return model
